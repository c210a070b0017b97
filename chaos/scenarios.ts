/** The faults the chaos run knows, and what it records of each trial (shared with the test that reads its results). */

/** Every fault the run knows, in the order it runs them. */
export const SCENARIOS = [
  'worker-kill',
  'temporal-restart',
  'postgres-terminate',
  'store-unreachable',
  'provider-5xx',
  'provider-hang',
  'provider-429',
  'stop-while-worker-down',
] as const;

/** One of the faults. */
export type Scenario = (typeof SCENARIOS)[number];

/** What one trial found. */
export interface Trial {
  scenario: Scenario;
  fault: string;
  campaignId: string;
  status: string;
  counts: { planned: number; sent: number; notSent: number; failed: number; pending: number; inDoubt: number };
  /** Messages the provider delivered for the campaign (a resend under the same idempotency key is not one). */
  delivered: number;
  /** Resends the provider answered from its idempotency keys. */
  replays: number;
  duplicates: number;
  events: { sent: number; notSent: number; failed: number };
  /** From the fault to the campaign's end. */
  recoveredInMs: number;
  /** A stop sent while the worker was down: messages the provider got after the worker came back. */
  afterWorkerBack?: number;
  problems: string[];
}

