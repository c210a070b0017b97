/**
 * Herald's Prometheus metrics, one registry per process: the API serves it at /metrics, a worker on its own at
 * METRICS_PORT. Counters count what this process did (a worker its sends, the API its control actions).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The registry every Herald metric is in. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'herald_' });

/** Messages by channel and outcome (sent, failed, notSent). */
export const messages = new Counter({
  name: 'herald_messages_total',
  help: 'Messages by channel and outcome (sent, failed, notSent)',
  labelNames: ['channel', 'outcome'] as const,
  registers: [registry],
});

/** Deliveries recorded notSent, by channel and reason. */
export const notSent = new Counter({
  name: 'herald_not_sent_total',
  help: 'Deliveries recorded notSent, by channel and reason',
  labelNames: ['channel', 'reason'] as const,
  registers: [registry],
});

/** How long a provider takes to answer one chunk of messages. */
export const providerLatency = new Histogram({
  name: 'herald_provider_request_seconds',
  help: 'Time a provider takes to answer one chunk of messages',
  labelNames: ['provider', 'channel'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** How long a control action (stop, pause, brake, ...) takes from request to answer (once nothing more can leave). */
export const controlLatency = new Histogram({
  name: 'herald_control_seconds',
  help: 'Time from a control request (stop, pause, brake, ...) to its answer, once nothing more can leave',
  labelNames: ['action'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Send batches running in this process. */
export const batchesInFlight = new Gauge({
  name: 'herald_batches_in_flight',
  help: 'Send batches running in this process',
  registers: [registry],
});

/** Counts deliveries recorded notSent (by reason, and among all messages). */
export function countNotSent(channel: string, reason: string, n: number): void {
  notSent.inc({ channel, reason }, n);
  messages.inc({ channel, outcome: 'notSent' }, n);
}

/** True when `header` is `Bearer <token>` (compared in constant time): who may scrape the metrics. */
export function bearerIs(header: string | undefined, token: string): boolean {
  const given = createHash('sha256').update(header?.startsWith('Bearer ') ? header.slice(7).trim() : '').digest();
  return timingSafeEqual(given, createHash('sha256').update(token).digest());
}
