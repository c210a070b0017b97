/**
 * Provider recall after a stop's answer: ask a channel's provider to take back what, by its own documented rules,
 * it still can (its status as known from its answers), page by page at the provider's pace. Nothing is ever sent.
 */
import type { Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import type { Channel } from '../domain/vocabulary';
import { countNotSent } from '../observability/metrics';
import type { ProviderRegistry } from '../providers/provider';
import type { DeliveryStore } from '../store/store';

/** What one page of a recall asked and what the provider answered. */
export interface RecallPage {
  asked: number;
  cancelled: number;
  tooLate: number;
  errors: number;
  /** The provider cannot cancel, or keeps nothing it could (nothing was asked). */
  unsupported: boolean;
  /** Where the next page starts, or null when the channel is done. */
  nextAfter: number | null;
}

/** Messages asked about per page (one activity). */
export const RECALL_PAGE = 500;

/** Asks the channel's provider to cancel one page of recallable messages after delivery id `afterId`. */
export async function recallPage(
  { ctx, store, providers, campaign }: { ctx: Context; store: DeliveryStore; providers: ProviderRegistry; campaign: Campaign },
  channel: Channel,
  afterId: number,
): Promise<RecallPage> {
  const page: RecallPage = { asked: 0, cancelled: 0, tooLate: 0, errors: 0, unsupported: false, nextAfter: null };
  const provider = await providers.get(campaign.accountId, channel);
  if (!provider.cancel || !provider.recallable?.length || provider.cancelWindowMs === 0) return { ...page, unsupported: true };
  // Only what was handed over recently can still be held: older messages are not asked about.
  const since = provider.cancelWindowMs === undefined ? new Date(0) : new Date(Date.now() - provider.cancelWindowMs);
  const held = await store.listRecallable(campaign.id, channel, provider.recallable, since, afterId, RECALL_PAGE);
  if (held.length === 0) return page;
  const outcomes = await provider.cancel(
    held.map((h) => h.providerMessageId),
    ctx.cancellationSignal,
  );
  const cancelled = held.filter((_, i) => outcomes[i]?.status === 'cancelled');
  await store.recordCancelled(
    campaign,
    cancelled.map((h) => h.id),
  );
  countNotSent(channel, 'provider_cancelled', cancelled.length);
  return {
    ...page,
    asked: held.length,
    cancelled: cancelled.length,
    tooLate: outcomes.filter((o) => o.status === 'tooLate').length,
    errors: outcomes.filter((o) => o.status === 'error').length,
    nextAfter: held.length < RECALL_PAGE ? null : held[held.length - 1]!.id,
  };
}
