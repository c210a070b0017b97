/** Compensation after a stop: take back from providers what they still hold of a campaign. */
import type { Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import type { Channel } from '../domain/vocabulary';
import type { ProviderRegistry } from '../providers/provider';
import type { Store } from '../store/store';

/** What providers were asked to cancel and what they confirmed, per channel. */
export interface ProviderCancellation {
  asked: number;
  cancelled: number;
  tooLate: number;
  errors: number;
  /** Channels whose provider cannot cancel or holds nothing (nothing was asked of them). */
  unsupported: string[];
  /** Confirmed cancelled (now notSent), per channel. */
  cancelledByChannel: Partial<Record<Channel, number>>;
}

const PAGE = 500;

/**
 * Pages through the campaign's sent deliveries per channel and asks the provider to cancel them; each one the
 * provider confirms cancelled becomes notSent(provider_cancelled) with its event.
 */
export async function cancelAtProviders(args: {
  ctx: Context;
  store: Store;
  providers: ProviderRegistry;
  campaign: Campaign;
}): Promise<ProviderCancellation> {
  const { ctx, store, providers, campaign } = args;
  const result: ProviderCancellation = { asked: 0, cancelled: 0, tooLate: 0, errors: 0, unsupported: [], cancelledByChannel: {} };
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
      result.cancelledByChannel[channel] = (result.cancelledByChannel[channel] ?? 0) + cancelled.length;
      result.tooLate += outcomes.filter((o) => o.status === 'tooLate').length;
      result.errors += outcomes.filter((o) => o.status === 'error').length;
      if (!ctx.info.isLocal) ctx.heartbeat();
    }
  }
  return result;
}
