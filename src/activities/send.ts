/** The inner loop of a send batch: render, hand to the provider chunk by chunk, record every outcome. */
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import type { Channel } from '../domain/vocabulary';
import { messages as messageCount, providerLatency } from '../observability/metrics';
import type { OutboundMessage, Provider, SendOutcome } from '../providers/provider';
import type { ClaimedDelivery, DeliveryResult, Store } from '../store/store';
import { compileContent } from '../templates';
import type { UnsubscribeTarget } from '../unsubscribe';

const THROTTLE_PATIENCE_MS = 15 * 60_000;

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

/**
 * Sends claimed deliveries; throws a retryable error if the provider asked to retry some, after recording the rest.
 * Chunks are pipelined: a chunk's outcomes are written while the next chunk is at the provider (one write in
 * flight at most, and every write has landed before this returns or throws).
 */
export async function sendClaimed(args: {
  ctx: Context;
  store: Store;
  provider: Provider;
  campaign: Campaign;
  channel: Channel;
  claimed: ClaimedDelivery[];
  settings: SendSettings;
}): Promise<{ sent: number; failed: number }> {
  const { ctx, store, provider, campaign, channel, claimed, settings } = args;
  const content = campaign.channels.find((c) => c.channel === channel);
  if (!content) throw ApplicationFailure.nonRetryable(`campaign ${campaign.id} has no ${channel} content`, 'NoContent');
  const compiled = compileContent(content);
  const lastAttempt = ctx.info.attempt >= settings.maxAttempts;
  const patienceOver = Date.now() - ctx.info.scheduledTimestampMs >= (settings.throttlePatienceMs ?? THROTTLE_PATIENCE_MS);
  let sent = 0;
  let failed = 0;
  let retry: { error: string; afterMs?: number } | undefined;
  let writing: Promise<void> | undefined;

  try {
    for (let i = 0; i < claimed.length; i += settings.chunkSize) {
      ctx.cancellationSignal.throwIfAborted();
      const chunk = claimed.slice(i, i + settings.chunkSize);
      const results: DeliveryResult[] = [];
      const messages: OutboundMessage[] = [];
      for (const d of chunk) {
        // The contact may have been re-imported without this channel's address since planning.
        const to = addressOf(d);
        if (!to) {
          results.push({ id: d.id, state: 'failed', error: `contact has no ${channel} address` });
          continue;
        }
        try {
          const unsubscribeUrl =
            channel === 'email' ? settings.unsubscribeUrl?.({ accountId: campaign.accountId, contactId: d.contact.id, channel }) : undefined;
          messages.push({
            deliveryId: d.id,
            campaignId: campaign.id,
            contactId: d.contact.id,
            channel,
            to,
            ...compiled.render(d.contact),
            ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
          });
        } catch (err) {
          results.push({ id: d.id, state: 'failed', error: `template: ${(err as Error).message}` });
        }
      }
      // Handed first: if this worker dies during the call, the stop that follows knows these are in doubt.
      const handed = messages.map((m) => m.deliveryId);
      await store.markHanded(handed, true);
      const outcomes = messages.length > 0 ? await sendChunk(provider, messages, ctx.cancellationSignal, () => store.markHanded(handed, false)) : [];
      const notTaken: number[] = [];
      outcomes.forEach((outcome, k) => {
        const id = messages[k]!.deliveryId;
        if (outcome.status === 'accepted') results.push({ id, state: 'sent', providerMessageId: outcome.providerMessageId });
        else if (outcome.status === 'permanent') results.push({ id, state: 'failed', error: outcome.error, suppress: outcome.suppress === true });
        else if (lastAttempt && !ctx.cancellationSignal.aborted && (!outcome.throttled || patienceOver)) {
          results.push({ id, state: 'failed', error: outcome.error });
        }
        else retry = { error: outcome.error, afterMs: Math.max(retry?.afterMs ?? 0, outcome.retryAfterMs ?? 0) };
        if (outcome.status === 'retryable' && outcome.notTaken) notTaken.push(id);
      });
      if (writing) await writing;
      writing = Promise.all([store.recordResults(campaign, results), store.markHanded(notTaken, false)]).then(() => undefined);
      // Awaited before the next write and at the end; until then a failure must not count as unhandled.
      writing.catch(() => undefined);
      const chunkSent = results.filter((r) => r.state === 'sent').length;
      sent += chunkSent;
      failed += results.length - chunkSent;
      messageCount.inc({ channel, outcome: 'sent' }, chunkSent);
      messageCount.inc({ channel, outcome: 'failed' }, results.length - chunkSent);
    }
  } finally {
    if (writing) await writing;
  }
  // A cancelled batch reports the cancellation, not the retry its unstarted messages asked for.
  ctx.cancellationSignal.throwIfAborted();
  if (retry) {
    throw ApplicationFailure.create({
      message: retry.error,
      type: 'ProviderRetryable',
      nextRetryDelay: retry.afterMs || backoffWithJitter(ctx.info.attempt),
    });
  }
  return { sent, failed };
}

/**
 * Hands a chunk to the provider; an outage (the call itself throws) makes every message of the chunk retryable and
 * in doubt. A call that rejects because it was aborted took nothing (the provider contract): `untouched` records so.
 */
async function sendChunk(provider: Provider, messages: OutboundMessage[], signal: AbortSignal, untouched: () => Promise<void>): Promise<SendOutcome[]> {
  const timer = providerLatency.startTimer({ provider: provider.name, channel: messages[0]!.channel });
  try {
    return await provider.send(messages, signal);
  } catch (err) {
    if (signal.aborted) {
      await untouched();
      throw err;
    }
    return messages.map(() => ({ status: 'retryable', error: (err as Error).message }));
  } finally {
    timer();
  }
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
