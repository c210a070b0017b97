/** Campaign activities, built from their dependencies so tests and the worker can wire different ones. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Campaign, ControlReport, Throttle } from '../domain/types';
import type { CampaignStatus, Channel, NotSentReason } from '../domain/vocabulary';
import { log } from '../observability/log';
import { campaignWorkflowId } from '../workflows/definitions';
import { batchesInFlight, countNotSent } from '../observability/metrics';
import type { ProviderRegistry } from '../providers/provider';
import type { CampaignCounts, ChannelTally, PlanPageResult, Store } from '../store/store';
import { cancelAtProviders, type ProviderCancellation } from './compensate';
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
  /** The account's brake was on: nothing was claimed or sent. */
  braked?: true;
}

/** How a campaign is paced, read once when its workflow starts. */
export interface CampaignPacing {
  throttle: Throttle | null;
  /** ISO time after which nothing is sent. */
  endAt: string | null;
}

/** Failure type for a campaign that no longer exists: the workflow ends in Error. */
export const CAMPAIGN_NOT_FOUND = 'CampaignNotFound';

/** Rows per statement when marking deliveries notSent. */
const MARK_CHUNK = 20_000;

/** Creates the activity functions. */
export function createActivities({ store, providers, send, clock = () => new Date() }: ActivityDeps) {
  const load = async (campaignId: string): Promise<Campaign> => {
    const campaign = await store.loadCampaign(campaignId);
    if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} not found`, CAMPAIGN_NOT_FOUND);
    return campaign;
  };

  return {
    /** Reads the campaign's throttle and end date. */
    async loadPacing(input: { campaignId: string }): Promise<CampaignPacing> {
      const campaign = await load(input.campaignId);
      return { throttle: campaign.throttle, endAt: campaign.endAt?.toISOString() ?? null };
    },

    /**
     * Plans one page of the audience: a pending delivery per reachable contact and channel (idempotent). After the
     * last page the planner's statistics are refreshed, so sending starts with fast plans.
     */
    async planAudiencePage(input: { campaignId: string; cursor: number; pageSize: number; startAt: string }): Promise<PlanPageResult> {
      const page = await store.planPage(await load(input.campaignId), input.cursor, input.pageSize, new Date(input.startAt));
      if (page.nextCursor === null) await store.analyzeDeliveries();
      return page;
    },

    /**
     * Claims up to `batchSize` due deliveries of one channel under `batchKey` and sends them, unless the account's
     * brake is on (checked here, before every batch, whatever the workflow was told). It heartbeats while it runs,
     * so a cancel (pause, stop, brake) reaches it within the worker's heartbeat throttle; it then stops between
     * chunks or aborts the provider call, and throws the cancellation once nothing more can leave.
     */
    async sendBatch(input: { campaignId: string; channel: Channel; batchSize: number; batchKey: string }): Promise<BatchResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 20);
      const started = Date.now();
      batchesInFlight.inc();
      try {
        const campaign = await load(input.campaignId);
        if ((await store.getBrake(campaign.accountId)).on) return { claimed: 0, sent: 0, failed: 0, braked: true };
        // A retry takes back exactly what the failed attempt held under the same key.
        const claimed = await store.claimBatch(campaign.id, input.channel, input.batchKey, input.batchSize, ctx.info.attempt > 1, clock());
        if (claimed.length === 0) return { claimed: 0, sent: 0, failed: 0 };
        const provider = await providers.get(campaign.accountId, input.channel);
        const tally = await sendClaimed({ ctx, store, provider, campaign, channel: input.channel, claimed, settings: send });
        log.debug(
          { ...campaignFields(campaign), channel: input.channel, attempt: ctx.info.attempt, claimed: claimed.length, ...tally, ms: Date.now() - started },
          'batch sent',
        );
        return { claimed: claimed.length, ...tally };
      } finally {
        batchesInFlight.dec();
        clearInterval(beat);
      }
    },

    /** Mirrors a status the workflow entered into the store (Draft also clears the schedule). */
    async recordStatus(input: { campaignId: string; status: CampaignStatus; error?: string; deleted?: boolean }): Promise<void> {
      await store.recordStatus(input.campaignId, input.status, clock(), { error: input.error, deleted: input.deleted });
    },

    /** If the account's brake is on, records the campaign as held by it in `status`; returns whether it did. */
    async holdForBrake(input: { campaignId: string; status: CampaignStatus }): Promise<boolean> {
      return (await store.holdForBrake(input.campaignId, input.status)).on;
    },

    /** Returns deliveries stranded in `sending` to `pending`; called when no batch is in flight. */
    async releaseOrphans(input: { campaignId: string }): Promise<number> {
      return store.releaseOrphans(input.campaignId);
    },

    /** The earliest planned time of a pending delivery (ISO), or null when nothing is pending. */
    async nextPlannedAt(input: { campaignId: string }): Promise<string | null> {
      return (await store.nextPlannedAt(input.campaignId))?.toISOString() ?? null;
    },

    /**
     * Marks every unsent delivery (planned before `plannedBefore`, if given) notSent(`reason`) with its per-channel
     * event; returns how many per channel.
     */
    async markUnsent(input: { campaignId: string; reason: NotSentReason; plannedBefore?: string }): Promise<ChannelTally> {
      const ctx = Context.current();
      const campaign = await load(input.campaignId);
      const before = input.plannedBefore ? new Date(input.plannedBefore) : undefined;
      const total: ChannelTally = {};
      for (;;) {
        const chunk = await store.markUnsent(campaign, input.reason, MARK_CHUNK, before);
        const entries = Object.entries(chunk) as [Channel, number][];
        if (entries.length === 0) break;
        for (const [channel, n] of entries) total[channel] = (total[channel] ?? 0) + n;
        if (!ctx.info.isLocal) ctx.heartbeat();
      }
      for (const [channel, n] of Object.entries(total) as [Channel, number][]) countNotSent(channel, input.reason, n);
      log.info({ ...campaignFields(campaign), reason: input.reason, notSent: total }, 'deliveries marked notSent');
      return total;
    },

    /** Asks each channel's provider to cancel what it still holds of the campaign; cancelled ones become notSent. */
    async cancelAtProviders(input: { campaignId: string }): Promise<ProviderCancellation> {
      const ctx = Context.current();
      const campaign = await load(input.campaignId);
      const result = await cancelAtProviders({ ctx, store, providers, campaign, send });
      log.info({ ...campaignFields(campaign), ...result }, 'providers asked to cancel');
      return result;
    },

    /** Exact counts from the deliveries. */
    async countDeliveries(input: { campaignId: string }): Promise<CampaignCounts> {
      return store.countDeliveries(input.campaignId);
    },

    /** Keeps a stop or cancel report, so it can be read after the workflow has closed. */
    async saveReport(input: { report: ControlReport }): Promise<void> {
      await store.saveReport(input.report.campaignId, input.report);
    },
  };
}

/** The ids a log line about a campaign carries. */
function campaignFields(campaign: Campaign): { accountId: string; campaignId: string; workflowId: string } {
  return { accountId: campaign.accountId, campaignId: campaign.id, workflowId: campaignWorkflowId(campaign.id) };
}

/** The activity interface the workflow proxies. */
export type Activities = ReturnType<typeof createActivities>;
