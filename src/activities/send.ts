/** The inner loop of a send batch: render, hand to the provider chunk by chunk, record every outcome. */
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import type { Channel } from '../domain/vocabulary';
import { messages as messageCount, providerLatency } from '../observability/metrics';
import { NOT_STARTED, type OutboundMessage, type Provider, type SendOutcome } from '../providers/provider';
import type { ClaimedDelivery, DeliveryResult, DeliveryStore } from '../store/store';
import { compileContent } from '../templates';
import type { SlotHold } from './share';
import type { UnsubscribeTarget } from '../unsubscribe';

const THROTTLE_PATIENCE_MS = 15 * 60_000;

/**
 * A chunk handed over must start at the provider within this long, or its messages not yet started come back and
 * are handed over again (the fence checked anew): a worker frozen after a handover (cut off, stopped) sends
 * nothing when it wakes after a stop has answered. Well under the send activity's heartbeat timeout.
 */
export const HANDOVER_TTL_MS = 5_000;

/** Worker-side send tuning. */
export interface SendSettings {
  /** Messages handed to the provider per call; their outcomes are recorded after each call. */
  chunkSize: number;
  /** After this many attempts of a batch, messages the provider keeps refusing as retryable are marked failed. */
  maxAttempts: number;
  /**
   * A message the provider only throttles (429) is marked failed after `maxAttempts` and this long since its
   * batch first ran (15 minutes unless said): a provider asking to slow down is not failing.
   */
  throttlePatienceMs?: number;
  /** The one-click unsubscribe link of a contact on a channel (for email's List-Unsubscribe header). */
  unsubscribeUrl?: (target: UnsubscribeTarget) => string;
}

/** Recording a chunk's outcomes failed: the lease keeps the chunk as handed over, to be settled as in doubt. */
export class OutcomeWriteError extends Error {
  constructor(cause: unknown) {
    super(`recording outcomes failed: ${(cause as Error).message}`, { cause });
    this.name = 'OutcomeWriteError';
  }
}

/** What a batch did with its lease. */
export interface LeaseTally {
  sent: number;
  failed: number;
  inDoubt: number;
  /** A handover was refused: the campaign is fenced or the account's brake is on. Nothing more was sent. */
  closed: boolean;
  /**
   * The batch gave its worker slot back before the end of its lease (see ./share): `returned` deliveries were never
   * handed. (A closed batch returns what it has no outcome for, too.)
   */
  yielded: boolean;
  returned: number;
}

/**
 * Sends the deliveries of a lease; throws a retryable error if the provider asked to retry some, after recording
 * the rest. Before each provider call the chunk is handed over in the lease (refused once the campaign is fenced);
 * its outcomes and events are written in one statement while the next chunk is at the provider (one write in
 * flight at most, every write landed before this returns or throws). Between chunks, when its worker `slot` is
 * wanted by another account, it ends early: what it has not sent stays pending, for the lease's release to free.
 * (A chunk at the provider when the slot's time budget ends starts no more messages, so that is soon.)
 */
export async function sendLease(args: {
  ctx: Context;
  store: DeliveryStore;
  provider: Provider;
  campaign: Campaign;
  channel: Channel;
  batchKey: string;
  claimed: ClaimedDelivery[];
  settings: SendSettings;
  slot?: SlotHold;
  /** Aborts once the campaign is seen closed to senders (see ./closed): nothing more starts at the provider. */
  closed?: AbortSignal;
  /**
   * Where a chunk's outcomes go once its batch is cancelled or its campaign closed (default `store`): a stop, pause
   * or brake waits for them, so on the embedded store they go ahead of the send path's queue.
   */
  closingStore?: DeliveryStore;
}): Promise<LeaseTally> {
  const { ctx, store, provider, campaign, channel, batchKey, claimed, settings, slot } = args;
  const content = campaign.channels.find((c) => c.channel === channel);
  if (!content) throw ApplicationFailure.nonRetryable(`campaign ${campaign.id} has no ${channel} content`, 'NoContent');
  const compiled = compileContent(content);
  const cancelled = ctx.cancellationSignal;
  // What the provider may start: nothing once the batch is cancelled or its campaign is closed.
  const startable = args.closed ? AbortSignal.any([cancelled, args.closed]) : cancelled;
  const lastAttempt = ctx.info.attempt >= settings.maxAttempts;
  const patienceOver = Date.now() - ctx.info.scheduledTimestampMs >= (settings.throttlePatienceMs ?? THROTTLE_PATIENCE_MS);
  const tally: LeaseTally = { sent: 0, failed: 0, inDoubt: 0, closed: false, yielded: false, returned: 0 };
  let retry: { error: string; afterMs?: number } | undefined;
  let writing: Promise<void> | undefined;
  const queue = [...claimed];

  try {
    for (let chunks = 0; queue.length > 0 && !tally.closed; chunks++) {
      cancelled.throwIfAborted();
      // Closed meanwhile: the handover would be refused; what is left stays pending.
      if (args.closed?.aborted) {
        tally.closed = true;
        break;
      }
      // At least one chunk per batch, so a batch that yields has always moved its campaign on.
      if (chunks > 0 && slot?.shouldYield()) {
        tally.yielded = true;
        tally.returned = queue.length;
        break;
      }
      const chunk = queue.splice(0, settings.chunkSize);
      const results: DeliveryResult[] = [];
      const messages: OutboundMessage[] = [];
      for (const d of chunk) {
        const rendered = render(d, campaign, channel, compiled, settings);
        if ('error' in rendered) results.push({ id: d.id, contactId: d.contact.id, state: 'failed', error: rendered.error });
        else messages.push(rendered);
      }
      const handed = messages.map((m) => m.deliveryId);
      let outcomes: SendOutcome[] = [];
      if (messages.length > 0) {
        if (await store.handOver(campaign.id, batchKey, handed)) {
          const now = performance.now();
          const budgetEnd = slot && slot.budgetEndsAt > now ? slot.budgetEndsAt : Number.POSITIVE_INFINITY;
          outcomes = await sendChunk(provider, messages, startable, Math.min(now + HANDOVER_TTL_MS, budgetEnd));
        } else {
          tally.closed = true;
        }
      }
      outcomes.forEach((outcome, k) => {
        const m = messages[k]!;
        const base = { id: m.deliveryId, contactId: m.contactId };
        if (outcome.status === 'accepted') {
          const providerStatus = outcome.providerStatus?.slice(0, 32);
          results.push({ ...base, state: 'sent', providerMessageId: outcome.providerMessageId, ...(providerStatus ? { providerStatus } : {}) });
        } else if (outcome.status === 'permanent') {
          results.push({ ...base, state: 'failed', error: outcome.error, suppress: outcome.suppress === true });
        } else if (!outcome.notTaken) {
          // Handed over and no answer: it may have arrived. Recorded so, and never sent again by a stop.
          results.push({ ...base, state: 'inDoubt', error: outcome.error });
          retry = retryOf(retry, outcome);
        } else if (cancelled.aborted) {
          // Not started because the batch was cancelled: it stays pending.
        } else if (outcome === NOT_STARTED && args.closed?.aborted) {
          // Not started because the campaign closed meanwhile: it stays pending, and the batch ends.
          tally.closed = true;
        } else if (outcome === NOT_STARTED) {
          // Its handover time ran out before the provider could start it: handed over again (the fence checked anew).
          queue.push(chunk.find((d) => d.id === m.deliveryId)!);
        } else if (lastAttempt && (!outcome.throttled || patienceOver)) {
          results.push({ ...base, state: 'failed', error: outcome.error });
        } else {
          retry = retryOf(retry, outcome);
        }
      });
      if (writing) await writing;
      const writer = cancelled.aborted || args.closed?.aborted ? (args.closingStore ?? store) : store;
      writing = writer.recordResults(campaign, results, { batchKey, handed }).catch((err: unknown) => {
        throw new OutcomeWriteError(err);
      });
      // Awaited before the next write and at the end; until then a failure must not count as unhandled.
      writing.catch(() => undefined);
      count(tally, channel, results);
    }
  } finally {
    if (writing) await writing;
  }
  // A cancelled batch reports the cancellation, not the retry its unstarted messages asked for.
  cancelled.throwIfAborted();
  // Closed, it gives back what it had no outcome for: pending again.
  if (tally.closed) tally.returned = claimed.length - tally.sent - tally.failed - tally.inDoubt;
  if (retry && !tally.closed) {
    throw ApplicationFailure.create({
      message: retry.error,
      type: 'ProviderRetryable',
      nextRetryDelay: retry.afterMs || backoffWithJitter(ctx.info.attempt),
    });
  }
  return tally;
}

/** The message for a delivery, or why it cannot be made (the contact lost its address, the template failed). */
function render(
  d: ClaimedDelivery,
  campaign: Campaign,
  channel: Channel,
  compiled: ReturnType<typeof compileContent>,
  settings: SendSettings,
): OutboundMessage | { error: string } {
  // The contact may have been re-imported without this channel's address since planning.
  const to = addressOf(d);
  if (!to) return { error: `contact has no ${channel} address` };
  try {
    const unsubscribeUrl =
      channel === 'email' ? settings.unsubscribeUrl?.({ accountId: campaign.accountId, contactId: d.contact.id, channel }) : undefined;
    return {
      deliveryId: d.id,
      campaignId: campaign.id,
      contactId: d.contact.id,
      channel,
      to,
      ...compiled.render(d.contact),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    };
  } catch (err) {
    return { error: `template: ${(err as Error).message}` };
  }
}

/**
 * Hands a chunk to the provider. A call that rejects because it was aborted took nothing (the provider contract):
 * its messages come back not started. An outage (the call itself throws) leaves every message of the chunk in
 * doubt.
 */
async function sendChunk(provider: Provider, messages: OutboundMessage[], signal: AbortSignal, startBy: number): Promise<SendOutcome[]> {
  const timer = providerLatency.startTimer({ provider: provider.name, channel: messages[0]!.channel });
  try {
    return await provider.send(messages, signal, startBy);
  } catch (err) {
    if (signal.aborted) return messages.map(() => NOT_STARTED);
    return messages.map(() => ({ status: 'retryable', error: (err as Error).message }));
  } finally {
    timer();
  }
}

function retryOf(retry: { error: string; afterMs?: number } | undefined, outcome: SendOutcome & { status: 'retryable' }) {
  return { error: outcome.error, afterMs: Math.max(retry?.afterMs ?? 0, outcome.retryAfterMs ?? 0) };
}

function count(tally: LeaseTally, channel: Channel, results: DeliveryResult[]): void {
  let sent = 0;
  let failed = 0;
  for (const r of results) {
    if (r.state === 'sent') sent++;
    else if (r.state === 'failed') failed++;
    else tally.inDoubt++;
  }
  tally.sent += sent;
  tally.failed += failed;
  messageCount.inc({ channel, outcome: 'sent' }, sent);
  messageCount.inc({ channel, outcome: 'failed' }, failed);
}

/** The provider address of a delivery's contact on its channel (the latest push token or subscription), if any. */
function addressOf(d: ClaimedDelivery): string | null {
  const c = d.contact;
  switch (d.channel) {
    case 'email':
      return c.email ?? null;
    case 'sms':
      return c.phone ?? null;
    case 'push':
      return c.pushTokens.at(-1) ?? null;
    case 'webpush': {
      const subscription = c.webPushSubscriptions.at(-1);
      return subscription ? JSON.stringify(subscription) : null;
    }
  }
}

/** Exponential backoff (1 s doubling, at most a minute) with full jitter between half and one and a half times. */
function backoffWithJitter(attempt: number): number {
  const base = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random()));
}
