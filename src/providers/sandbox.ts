/** The default provider: in-process, records every message it accepts, with optional latency and failures. */
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** Options for the sandbox. */
export interface SandboxOptions {
  /** Time each call to send takes, as a provider round trip would. */
  latencyMs?: number;
  /** Share of messages refused permanently, at random (0..1). */
  failureRate?: number;
  /** Refuses exactly the messages this returns true for (deterministic failures for tests). */
  failWhen?: (message: OutboundMessage) => boolean;
  /** The first this-many calls fail as an outage would (the call throws), to exercise retries. */
  outageCalls?: number;
}

/** A message the sandbox accepted, and when. */
export interface SandboxRecord extends OutboundMessage {
  providerMessageId: string;
  at: number;
}

/** The sandbox provider. One instance can serve every channel; it counts repeats per campaign, channel and contact. */
export class SandboxProvider implements Provider {
  readonly name = 'sandbox';
  readonly accepted: SandboxRecord[] = [];
  private readonly seen = new Map<string, number>();
  private nextId = 1;
  private calls = 0;

  constructor(private readonly options: SandboxOptions = {}) {}

  async send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    if (this.options.latencyMs) await abortableDelay(this.options.latencyMs, signal);
    signal.throwIfAborted();
    if (++this.calls <= (this.options.outageCalls ?? 0)) throw new Error('sandbox: service unavailable (503)');
    const { failureRate = 0, failWhen } = this.options;
    return messages.map((m) => {
      if (failWhen?.(m) || (failureRate > 0 && Math.random() < failureRate)) {
        return { status: 'permanent', error: 'sandbox: recipient refused' };
      }
      const providerMessageId = `sbx_${this.nextId++}`;
      this.accepted.push({ ...m, providerMessageId, at: Date.now() });
      const key = `${m.campaignId}/${m.channel}/${m.contactId}`;
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      return { status: 'accepted', providerMessageId };
    });
  }

  /** How many (campaign, channel, contact) triples were accepted more than once. */
  duplicates(): number {
    let n = 0;
    for (const count of this.seen.values()) if (count > 1) n++;
    return n;
  }

  /** Messages accepted for one campaign. */
  forCampaign(campaignId: string): SandboxRecord[] {
    return this.accepted.filter((m) => m.campaignId === campaignId);
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
