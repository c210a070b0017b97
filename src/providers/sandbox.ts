/** The default provider: in-process, records every message it accepts, with optional latency, failures and a queue. */
import type { CancelOutcome, OutboundMessage, Provider, SendOutcome } from './provider';

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
  /**
   * Accepted messages wait this long in the provider's queue before they go out, as scheduled SMS or queued email
   * do; until then `cancel` takes them back. 0 (the default) delivers at once.
   */
  holdMs?: number;
  /**
   * A call in flight runs to completion even when aborted, as an HTTP request already on the wire does: its
   * messages arrive, and the caller learns of the abort only afterwards.
   */
  uninterruptible?: boolean;
}

/** A message the sandbox accepted, and when. */
export interface SandboxRecord extends OutboundMessage {
  providerMessageId: string;
  at: number;
  /** Set when a cancel took it back from the queue before it went out. */
  cancelledAt?: number;
}

/**
 * The sandbox provider. One instance can serve every channel. It honours the delivery id as an idempotency key (a
 * resend of an accepted delivery is answered with the first message id and counted in `replays`, not delivered
 * again) and counts real duplicates: the same campaign, channel and contact accepted under two deliveries.
 */
export class SandboxProvider implements Provider {
  readonly name = 'sandbox';
  readonly accepted: SandboxRecord[] = [];
  /** Resends of an already accepted delivery id, answered without delivering again. */
  replays = 0;
  private readonly byDelivery = new Map<number, SandboxRecord>();
  private readonly byMessageId = new Map<string, SandboxRecord>();
  private readonly seen = new Map<string, number>();
  private nextId = 1;
  private calls = 0;

  /** A sandbox without a queue holds nothing, so a stop has nothing to ask it. */
  readonly cancelWindowMs: number;
  /** What it answers `queued` (with a queue) can be cancelled. */
  readonly recallable = ['queued'];
  readonly idempotent = true;
  /** Cancel requests received, one per message asked about. */
  cancelRequests = 0;

  constructor(private readonly options: SandboxOptions = {}) {
    this.cancelWindowMs = options.holdMs ?? 0;
  }

  async send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    if (this.options.latencyMs) {
      await (this.options.uninterruptible ? delay(this.options.latencyMs) : abortableDelay(this.options.latencyMs, signal));
    } else {
      signal.throwIfAborted();
    }
    if (++this.calls <= (this.options.outageCalls ?? 0)) throw new Error('sandbox: service unavailable (503)');
    const { failureRate = 0, failWhen } = this.options;
    return messages.map((m) => {
      const earlier = this.byDelivery.get(m.deliveryId);
      if (earlier) {
        this.replays++;
        return { status: 'accepted', providerMessageId: earlier.providerMessageId };
      }
      if (failWhen?.(m) || (failureRate > 0 && Math.random() < failureRate)) {
        return { status: 'permanent', error: 'sandbox: recipient refused' };
      }
      const record: SandboxRecord = { ...m, providerMessageId: `sbx_${this.nextId++}`, at: Date.now() };
      this.accepted.push(record);
      this.byDelivery.set(m.deliveryId, record);
      this.byMessageId.set(record.providerMessageId, record);
      const key = `${m.campaignId}/${m.channel}/${m.contactId}`;
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      return { status: 'accepted', providerMessageId: record.providerMessageId, providerStatus: this.options.holdMs ? 'queued' : 'sent' };
    });
  }

  async cancel(providerMessageIds: string[], signal: AbortSignal): Promise<CancelOutcome[]> {
    signal.throwIfAborted();
    const now = Date.now();
    this.cancelRequests += providerMessageIds.length;
    return providerMessageIds.map((id): CancelOutcome => {
      const record = this.byMessageId.get(id);
      if (!record || record.cancelledAt !== undefined || this.isDelivered(record, now)) return { status: 'tooLate' };
      record.cancelledAt = now;
      return { status: 'cancelled' };
    });
  }

  /** How many (campaign, channel, contact) triples were accepted more than once. */
  duplicates(): number {
    let n = 0;
    for (const count of this.seen.values()) if (count > 1) n++;
    return n;
  }

  /** Messages accepted for one campaign (including any later cancelled from the queue). */
  forCampaign(campaignId: string): SandboxRecord[] {
    return this.accepted.filter((m) => m.campaignId === campaignId);
  }

  /** Messages of one campaign that went out to recipients (accepted, not cancelled, out of the queue by now). */
  deliveredFor(campaignId: string, now = Date.now()): SandboxRecord[] {
    return this.forCampaign(campaignId).filter((m) => this.isDelivered(m, now));
  }

  private isDelivered(record: SandboxRecord, now: number): boolean {
    return record.cancelledAt === undefined && record.at + (this.options.holdMs ?? 0) <= now;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
