/** Campaign activities, built from their dependencies so tests and the worker can wire different ones. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Campaign } from '../domain/types';
import type { CampaignStatus, Channel } from '../domain/vocabulary';
import type { ProviderRegistry } from '../providers/provider';
import type { CampaignCounts, PlanPageResult, Store } from '../store/store';
import { sendClaimed, type SendSettings } from './send';

/** What the activities need. */
export interface ActivityDeps {
  store: Store;
  providers: ProviderRegistry;
  send: SendSettings;
  clock?: () => Date;
}

/** Result of one send batch. */
export interface BatchResult {
  claimed: number;
  sent: number;
  failed: number;
}

/** Failure type for a campaign that no longer exists: the workflow ends in Error. */
export const CAMPAIGN_NOT_FOUND = 'CampaignNotFound';

/** Creates the activity functions. */
export function createActivities({ store, providers, send, clock = () => new Date() }: ActivityDeps) {
  const load = async (campaignId: string): Promise<Campaign> => {
    const campaign = await store.loadCampaign(campaignId);
    if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} not found`, CAMPAIGN_NOT_FOUND);
    return campaign;
  };

  return {
    /** Plans one page of the audience: a pending delivery per reachable contact and channel (idempotent). */
    async planAudiencePage(input: { campaignId: string; cursor: number; pageSize: number }): Promise<PlanPageResult> {
      return store.planPage(await load(input.campaignId), input.cursor, input.pageSize);
    },

    /** Claims up to `batchSize` pending deliveries of one channel and sends them; heartbeats as it goes. */
    async sendBatch(input: { campaignId: string; channel: Channel; batchSize: number }): Promise<BatchResult> {
      const ctx = Context.current();
      const campaign = await load(input.campaignId);
      // Stable across retries of this activity, so a retry takes back exactly what the failed attempt held.
      const batchKey = `${ctx.info.workflowExecution?.runId ?? 'standalone'}/${ctx.info.activityId}`;
      const claimed = await store.claimBatch(campaign.id, input.channel, batchKey, input.batchSize, ctx.info.attempt > 1);
      if (claimed.length === 0) return { claimed: 0, sent: 0, failed: 0 };
      const provider = providers.get(campaign.accountId, input.channel);
      const tally = await sendClaimed({ ctx, store, provider, campaign, channel: input.channel, claimed, settings: send });
      return { claimed: claimed.length, ...tally };
    },

    /** Mirrors a status the workflow entered into the store. */
    async recordStatus(input: { campaignId: string; status: CampaignStatus; error?: string }): Promise<void> {
      await store.recordStatus(input.campaignId, input.status, clock(), input.error);
    },

    /** Returns deliveries stranded in `sending` to `pending`; called when no batch is in flight. */
    async releaseOrphans(input: { campaignId: string }): Promise<number> {
      return store.releaseOrphans(input.campaignId);
    },

    /** Exact counts from the deliveries. */
    async countDeliveries(input: { campaignId: string }): Promise<CampaignCounts> {
      return store.countDeliveries(input.campaignId);
    },
  };
}

/** The activity interface the workflow proxies. */
export type Activities = ReturnType<typeof createActivities>;
