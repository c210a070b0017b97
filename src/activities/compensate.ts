/**
 * Compensation after a stop: settle the messages in doubt, then take back from providers what they still hold
 * of a campaign.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import { countNotSent } from '../observability/metrics';
import type { ProviderRegistry } from '../providers/provider';
import type { Store } from '../store/store';
import { sendClaimed, type SendSettings } from './send';

/** What providers were asked to cancel and what they confirmed, per channel. */
export interface ProviderCancellation {
  asked: number;
  cancelled: number;
  tooLate: number;
  errors: number;
  /** Channels whose provider cannot cancel or holds nothing (nothing was asked of them). */
  unsupported: string[];
  /** Messages in doubt (handed to a provider, no outcome: a worker lost mid-call, a timeout) and how they settled. */
  inDoubt: { resent: number; sent: number; failed: number };
}

const PAGE = 500;

/** What compensation works with. */
interface CompensationDeps {
  ctx: Context;
  store: Store;
  providers: ProviderRegistry;
  campaign: Campaign;
  send: SendSettings;
}

/**
 * Resends, once, every message in doubt under its own idempotency key: a provider that has it answers without
 * delivering again, one that has not delivers it now, as the call in flight when the stop came would have. Its
 * answer is recorded (sent, or failed with the provider's error); nothing else is sent. Runs once no batch runs.
 */
async function resolveInDoubt({ ctx, store, providers, campaign, send }: CompensationDeps): Promise<ProviderCancellation['inDoubt']> {
  const result = { resent: 0, sent: 0, failed: 0 };
  const batchKey = `in-doubt/${randomUUID()}`;
  const once: SendSettings = { ...send, maxAttempts: 1, throttlePatienceMs: 0 };
  for (const { channel } of campaign.channels) {
    for (;;) {
      const claimed = await store.claimInDoubt(campaign.id, channel, batchKey, PAGE);
      if (claimed.length === 0) break;
      const provider = await providers.get(campaign.accountId, channel);
      const tally = await sendClaimed({ ctx, store, provider, campaign, channel, claimed, settings: once });
      result.resent += claimed.length;
      result.sent += tally.sent;
      result.failed += tally.failed;
    }
  }
  return result;
}

/**
 * Pages through the campaign's sent deliveries per channel and asks the provider to cancel them; each one the
 * provider confirms cancelled becomes notSent(provider_cancelled) with its event.
 */
export async function cancelAtProviders(args: CompensationDeps): Promise<ProviderCancellation> {
  const { ctx, store, providers, campaign } = args;
  const result: ProviderCancellation = {
    asked: 0,
    cancelled: 0,
    tooLate: 0,
    errors: 0,
    unsupported: [],
    inDoubt: await resolveInDoubt(args),
  };
  for (const { channel } of campaign.channels) {
    const provider = await providers.get(campaign.accountId, channel);
    if (!provider.cancel || provider.cancelWindowMs === 0) {
      result.unsupported.push(channel);
      continue;
    }
    // Only what was handed over recently can still be held: older messages are not asked about.
    const since = provider.cancelWindowMs === undefined ? new Date(0) : new Date(Date.now() - provider.cancelWindowMs);
    for (let after = 0; ; ) {
      const handed = await store.listHanded(campaign.id, channel, since, after, PAGE);
      if (handed.length === 0) break;
      after = handed[handed.length - 1]!.id;
      const outcomes = await provider.cancel(
        handed.map((h) => h.providerMessageId),
        ctx.cancellationSignal,
      );
      const cancelled = handed.filter((_, i) => outcomes[i]?.status === 'cancelled');
      await store.recordResults(
        campaign,
        cancelled.map((h) => ({ id: h.id, state: 'notSent', reason: 'provider_cancelled' })),
      );
      result.asked += handed.length;
      result.cancelled += cancelled.length;
      countNotSent(channel, 'provider_cancelled', cancelled.length);
      result.tooLate += outcomes.filter((o) => o.status === 'tooLate').length;
      result.errors += outcomes.filter((o) => o.status === 'error').length;
      if (!ctx.info.isLocal) ctx.heartbeat();
    }
  }
  return result;
}
