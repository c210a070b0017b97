/** Campaign activities, built from their dependencies so tests and the worker can wire different ones. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Campaign, ControlReport, Throttle } from '../domain/types';
import type { CampaignStatus, Channel, NotSentReason } from '../domain/vocabulary';
import { log } from '../observability/log';
import { campaignWorkflowId } from '../workflows/definitions';
import { fencedReport, type FencedAnswer, type ReportStart } from '../workflows/report';
import { batchesInFlight, countNotSent } from '../observability/metrics';
import type { ProviderRegistry } from '../providers/provider';
import { foldUnsent, type CampaignCounts, type ChannelTally, type DeliveryStore, type Fence, type PlanPageResult, type RunStore } from '../store/store';
import { ClosedWatch } from './closed';
import { recallPage, type RecallPage } from './compensate';
import { OutcomeWriteError, sendLease, type SendSettings } from './send';
import type { SlotHold, SlotShare } from './share';

/** What the activities need. */
export interface ActivityDeps {
  /** The deliveries, and the few campaign and brake calls a run makes: nothing of the API's side of the store. */
  store: RunStore;
  /** The deliveries for the send path's statements, planning and the notSent writes after a stop (Store.sending); `store` unless given. */
  sendStore?: DeliveryStore;
  providers: ProviderRegistry;
  send: SendSettings;
  /** The worker's slots shared between accounts: batches of an account over its share yield them (see ./share). */
  share?: SlotShare;
  /** Deliveries marked notSent per statement (20,000 unless said). */
  notSentChunk?: number;
  clock?: () => Date;
}

/** Result of one send batch. */
export interface BatchResult {
  /** Deliveries the batch took on (a yielded batch's unhanded rest is not counted: it is pending again). */
  claimed: number;
  sent: number;
  failed: number;
  /** The account's brake is on: the batch stopped before handing anything more over. */
  braked?: true;
  /** The campaign is closed to senders (fenced) or the brake is on: the batch stopped before handing more over. */
  closed?: true;
  /** The batch gave its worker slot back to other accounts before its lease was done: the channel goes on. */
  yielded?: true;
}

/** How a campaign is paced, read once when its workflow starts. */
export interface CampaignPacing {
  throttle: Throttle | null;
  /** ISO time after which nothing is sent. */
  endAt: string | null;
}

/** A stop's answer: the exact counts (what is left pending counted notSent) and how many rows are left to write. */
export interface StopAnswer {
  counts: CampaignCounts;
  unsent: number;
}

/** What a stop or delete asks its fence to answer with, once nothing is on the wire (see `fenceAndAnswer`). */
export interface AnswerRequest {
  status: CampaignStatus;
  reason: NotSentReason;
  deleted: boolean;
  report: ReportStart;
  inFlight: number;
}

/** A stop's answer given by its fence: the counts, the rows left to write, and the times its report shows. */
export type FencedStopAnswer = StopAnswer & Pick<FencedAnswer, 'quietAt' | 'answeredAt'>;

/** How often a send batch heartbeats (the worker passes one on to the server once a second at most: see ../worker). */
const HEARTBEAT_EVERY_MS = 200;

/** How often `awaitQuiet` looks at the leases. */
const QUIET_POLL_MS = 5;

/** Failure type for a campaign that no longer exists: the workflow ends in Error. */
export const CAMPAIGN_NOT_FOUND = 'CampaignNotFound';

/** Creates the activity functions. */
export function createActivities({ store, sendStore = store, providers, send, share, notSentChunk = 20_000, clock = () => new Date() }: ActivityDeps) {
  const load = async (campaignId: string): Promise<Campaign> => {
    const campaign = await store.loadCampaign(campaignId);
    if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} not found`, CAMPAIGN_NOT_FOUND);
    return campaign;
  };

  const closedWatch = new ClosedWatch((ids) => store.closedOf(ids));

  /** Polls the leases until nothing of the campaign is on the wire (true), or `withinMs` passed or `ctx` was cancelled. */
  const quietWithin = async (ctx: Context, campaignId: string, withinMs: number): Promise<boolean> => {
    const until = Date.now() + withinMs;
    for (;;) {
      if (await store.isQuiet(campaignId)) return true;
      if (!ctx.info.isLocal) ctx.heartbeat();
      if (ctx.cancellationSignal.aborted || Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    }
  };

  /**
   * Mirrors a status the workflow entered into the store (Draft also clears the schedule). With `settleLeases`
   * (a pause, once no batch runs), the campaign's leases are settled first (see settleLeases).
   */
  const recordStatus = async (input: { campaignId: string; status: CampaignStatus; error?: string; deleted?: boolean; settleLeases?: boolean }): Promise<void> => {
    if (input.settleLeases) await store.settleLeases(input.campaignId);
    await store.recordStatus(input.campaignId, input.status, clock(), { error: input.error, deleted: input.deleted });
  };

  /**
   * If the account's brake is on, records the campaign as held by it in `status`; returns whether it did. With
   * `settleLeases` (once no batch runs), the campaign's leases are settled first.
   */
  const holdForBrake = async (input: { campaignId: string; status: CampaignStatus; settleLeases?: boolean }): Promise<boolean> => {
    if (input.settleLeases) await store.settleLeases(input.campaignId);
    return (await store.holdForBrake(input.campaignId, input.status)).on;
  };

  /** The answer of a stop or delete (see answerStop). */
  const writeAnswer = async (campaignId: string, input: { status: CampaignStatus; reason: NotSentReason; deleted: boolean }): Promise<StopAnswer> => {
    await store.settleLeases(campaignId);
    const before = await store.countDeliveries(campaignId);
    await store.recordStatus(campaignId, input.status, clock(), { deleted: input.deleted, unsentReason: input.reason });
    // The metrics agree with the answer at once (the rows that follow are not counted again).
    for (const [channel, c] of Object.entries(before.byChannel) as [Channel, { pending: number }][]) countNotSent(channel, input.reason, c.pending);
    return { counts: foldUnsent(before), unsent: before.total.pending };
  };

  return {
    /** Reads the campaign's throttle and end date. */
    async loadPacing(input: { campaignId: string }): Promise<CampaignPacing> {
      const campaign = await load(input.campaignId);
      return { throttle: campaign.throttle, endAt: campaign.endAt?.toISOString() ?? null };
    },

    /**
     * Plans one page of the audience: a pending delivery per reachable contact and channel (idempotent). The query
     * planner's statistics of contacts are refreshed before the first page and those of deliveries after the last,
     * so planning and then sending run with fast plans.
     */
    async planAudiencePage(input: { campaignId: string; cursor: number; pageSize: number; startAt: string }): Promise<PlanPageResult> {
      if (input.cursor === 0) await sendStore.analyzeContacts();
      const page = await sendStore.planPage(await load(input.campaignId), input.cursor, input.pageSize, new Date(input.startAt));
      if (page.nextCursor === null) await sendStore.analyzeDeliveries();
      return page;
    },

    /**
     * Leases up to `batchSize` due deliveries of one channel under `batchKey` and sends them, each chunk handed over
     * in the lease first (refused once the campaign is fenced or the account's brake is on). It heartbeats while it
     * runs, so a cancel (pause, stop, brake) reaches it within the worker's heartbeat throttle; it then stops between
     * chunks or aborts the provider call, records what was on the wire, and throws the cancellation once nothing
     * more can leave. Sooner still, once the worker sees the campaign closed (see ./closed), nothing more starts at
     * the provider: what was handed and not started stays pending. A retried attempt first settles what the failed
     * one left handed over. While the worker is full, a batch of an account holding more than its share of the
     * slots ends early, `yielded` (see ./share).
     */
    async sendBatch(input: { campaignId: string; channel: Channel; batchSize: number; batchKey: string }): Promise<BatchResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      const started = Date.now();
      batchesInFlight.inc();
      let slot: SlotHold | undefined;
      const closed = closedWatch.watch(input.campaignId);
      try {
        const campaign = await load(input.campaignId);
        slot = share?.hold(campaign.accountId);
        const provider = await providers.get(campaign.accountId, input.channel);
        if (ctx.info.attempt > 1) {
          // The attempt before was lost (or failed) with its chunk maybe at the provider: in doubt, resent only
          // where the provider honours the idempotency key, or where the campaign chose at-least-once.
          await sendStore.settleLeases(campaign.id, input.batchKey);
          if (provider.idempotent || campaign.resendInDoubt) await sendStore.retryInDoubt(campaign.id, [input.channel]);
        }
        const claimed = await sendStore.claimLease(campaign.id, input.channel, input.batchKey, input.batchSize, clock());
        if (claimed.length === 0) return { claimed: 0, sent: 0, failed: 0 };
        const tally = await sendLease({
          ctx,
          store: sendStore,
          closingStore: store,
          provider,
          campaign,
          channel: input.channel,
          batchKey: input.batchKey,
          claimed,
          settings: send,
          ...(slot ? { slot } : {}),
          closed: closed.signal,
        });
        await sendStore.releaseLease(input.campaignId, input.batchKey);
        log.debug(
          { ...campaignFields(campaign), channel: input.channel, attempt: ctx.info.attempt, claimed: claimed.length, ...tally, ms: Date.now() - started },
          'batch sent',
        );
        const braked = tally.closed && (await store.getBrake(campaign.accountId)).on;
        return {
          claimed: claimed.length - tally.returned,
          sent: tally.sent,
          failed: tally.failed,
          ...(braked ? { braked } : {}),
          ...(tally.closed ? { closed: true } : {}),
          ...(tally.yielded ? { yielded: true } : {}),
        };
      } catch (err) {
        // Cancelled or failing with every write landed: what the lease still holds is free again. (A write that
        // failed leaves the lease, and its chunk in doubt, to be settled.)
        if (!(err instanceof OutcomeWriteError)) await sendStore.releaseLease(input.campaignId, input.batchKey).catch(() => undefined);
        throw err;
      } finally {
        closed.release();
        slot?.release();
        batchesInFlight.dec();
        clearInterval(beat);
      }
    },

    recordStatus,

    holdForBrake,

    /**
     * Closes the campaign to senders (pause, stop, delete) or opens it again. With `quietWithinMs`, then waits that
     * long at most for nothing of it to be on the wire (see awaitQuiet), in the same activity: returns whether it is.
     */
    async fence(input: { campaignId: string; fence: Fence | null; quietWithinMs?: number; pauseWhenQuiet?: boolean }): Promise<boolean> {
      const { campaignId } = input;
      await store.fence(campaignId, input.fence);
      if (input.fence !== null) closedWatch.closedHere(campaignId);
      const quiet = input.fence !== null && input.quietWithinMs !== undefined && (await quietWithin(Context.current(), campaignId, input.quietWithinMs));
      // A pause's answer, in the same activity.
      if (quiet && input.pauseWhenQuiet) await recordStatus({ campaignId, status: 'Paused', settleLeases: true });
      return quiet;
    },

    /**
     * Once the campaign is closed to senders (fenced, or its account braked): waits until nothing of it is on the wire,
     * every call handed over answered and its outcome recorded, polling the leases every few milliseconds. Returns
     * true then, false after `withinMs` (a worker lost mid-call leaves its chunk named; its batch's heartbeat timeout
     * settles it) or when cancelled.
     */
    async awaitQuiet(input: { campaignId: string; withinMs: number }): Promise<boolean> {
      return quietWithin(Context.current(), input.campaignId, input.withinMs);
    },

    /**
     * A brake's first look at the wire and, if nothing of the campaign is on it within `withinMs`, its hold (see
     * holdForBrake, from Paused with the leases settled) in the same activity. Null when not quiet; else whether the
     * brake (still on) holds the campaign.
     */
    async awaitQuietAndHold(input: { campaignId: string; withinMs: number }): Promise<{ held: boolean } | null> {
      const { campaignId } = input;
      if (!(await quietWithin(Context.current(), campaignId, input.withinMs))) return null;
      return { held: await holdForBrake({ campaignId, status: 'Paused', settleLeases: true }) };
    },

    /**
     * Once no batch of the campaign runs: chunks that lost workers left handed over become inDoubt; returns how
     * many.
     */
    async settleLeases(input: { campaignId: string }): Promise<number> {
      return sum(await store.settleLeases(input.campaignId));
    },

    /**
     * The answer of a stop or delete, once nothing can leave (every batch ended, the campaign fenced): chunks lost
     * workers left handed over become inDoubt, the status is final, and from now on every read shows what is still
     * pending as notSent(`reason`). Returns the exact counts and how many pending rows are left to write. Constant
     * time: counts come from tallies.
     */
    async answerStop(input: { campaignId: string; status: CampaignStatus; reason: NotSentReason; deleted: boolean }): Promise<StopAnswer> {
      return writeAnswer(input.campaignId, input);
    },

    /**
     * A stop's or delete's fence, its first look at the wire and, if nothing is on it within `quietWithinMs`, its
     * answer (as `answerStop`) with the report the update returns, saved: one local activity, so the answer leaves
     * in the workflow task that brought the request. Null when the wire was not quiet: nothing is answered then.
     */
    async fenceAndAnswer(input: { campaignId: string; fence: 'stop' | 'delete'; quietWithinMs: number; answer: AnswerRequest }): Promise<FencedStopAnswer | null> {
      const { campaignId, answer } = input;
      await store.fence(campaignId, input.fence);
      closedWatch.closedHere(campaignId);
      if (!(await quietWithin(Context.current(), campaignId, input.quietWithinMs))) return null;
      const quietAt = clock().toISOString();
      const answered = await writeAnswer(campaignId, answer);
      const answeredAt = clock().toISOString();
      const report = fencedReport({ start: answer.report, inFlight: answer.inFlight, quietAt, answeredAt, counts: answered.counts });
      await store.saveReport(campaignId, report.snapshot());
      return { ...answered, quietAt, answeredAt };
    },

    /**
     * Where the campaign goes on (resume, release): its inDoubt messages go again to providers that honour the key,
     * or to every provider when the campaign chose at-least-once (`resendInDoubt`).
     */
    async retryInDoubt(input: { campaignId: string }): Promise<number> {
      const campaign = await load(input.campaignId);
      const channels: Channel[] = [];
      for (const { channel } of campaign.channels) {
        if (campaign.resendInDoubt || (await providers.get(campaign.accountId, channel)).idempotent) channels.push(channel);
      }
      return store.retryInDoubt(campaign.id, channels);
    },

    /** The earliest planned time of a pending delivery (ISO), or null when nothing is pending. */
    async nextPlannedAt(input: { campaignId: string }): Promise<string | null> {
      return (await store.nextPlannedAt(input.campaignId))?.toISOString() ?? null;
    },

    /**
     * Marks every pending delivery (planned before `plannedBefore`, if given; at most `chunks` statements of them)
     * notSent(`reason`) with its per-channel event; returns how many per channel (empty when none were left). With
     * `counted`, the metrics already count them (a stop's answer did).
     */
    async markUnsent(input: { campaignId: string; reason: NotSentReason; plannedBefore?: string; chunks?: number; counted?: boolean }): Promise<ChannelTally> {
      const ctx = Context.current();
      const campaign = await load(input.campaignId);
      const before = input.plannedBefore ? new Date(input.plannedBefore) : undefined;
      const total: ChannelTally = {};
      for (let n = 0; n < (input.chunks ?? Number.POSITIVE_INFINITY); n++) {
        const chunk = await sendStore.markUnsent(campaign, input.reason, notSentChunk, before);
        const entries = Object.entries(chunk) as [Channel, number][];
        if (entries.length === 0) break;
        for (const [channel, n] of entries) total[channel] = (total[channel] ?? 0) + n;
        if (!ctx.info.isLocal) ctx.heartbeat();
      }
      if (!input.counted) for (const [channel, n] of Object.entries(total) as [Channel, number][]) countNotSent(channel, input.reason, n);
      log.info({ ...campaignFields(campaign), reason: input.reason, notSent: total }, 'deliveries marked notSent');
      return total;
    },

    /**
     * Asks a channel's provider to cancel one page of what it can still take back (by its documented rules, after
     * id `afterId`), at the provider's pace; cancelled ones become notSent(provider_cancelled).
     */
    async recallPage(input: { campaignId: string; channel: Channel; afterId: number }): Promise<RecallPage> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1_000);
      // Recall takes a slot too (it never yields: it is paced by the provider and short).
      let slot: SlotHold | undefined;
      try {
        const campaign = await load(input.campaignId);
        slot = share?.hold(campaign.accountId);
        const page = await recallPage({ ctx, store, providers, campaign }, input.channel, input.afterId);
        if (page.asked > 0) log.info({ ...campaignFields(campaign), channel: input.channel, ...page }, 'providers asked to cancel');
        return page;
      } finally {
        slot?.release();
        clearInterval(beat);
      }
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

function sum(tally: ChannelTally): number {
  return Object.values(tally).reduce((a, b) => a + b, 0);
}

/** The activity interface the workflow proxies. */
export type Activities = ReturnType<typeof createActivities>;
