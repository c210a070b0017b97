/**
 * The campaign workflow: Herald's state machine for one campaign. It waits for the schedule, pages the audience
 * into deliveries, then sends them per channel, each channel its own lanes and pace, paced by local time of day,
 * throttle windows and the end date. Pause, resume, stop, cancel, unschedule, delete and the account brake's hold
 * and release are updates; sends run in a cancellation scope that pause, brake, stop and delete cancel.
 *
 * A stop answers once nothing can leave (the campaign is fenced in the store and no chunk is on the wire)
 * with exact counts read from tallies; the work proportional to the campaign (notSent events, provider
 * recall) comes after the answer, where nothing can cancel it. The workflow holds counters and cursors only.
 *
 * Shape: a small state object (`CampaignRun`) whose methods are the handlers and the phases, handlers registered
 * before the main loop runs (as temporalio/samples-typescript's safe-message-handlers), the report built by a pure
 * module (./report).
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import type { RecallPage } from '../activities/compensate';
import type { Fence, PlanPageResult } from '../store/store';
import type { ControlReport } from '../domain/types';
import { canControl, FINAL_STATUSES, type CampaignStatus, type Channel, type ControlAction, type NotSentReason } from '../domain/vocabulary';
import {
  CampaignStatusAttribute,
  DEFAULT_SEND_OPTIONS,
  REFUSED,
  brakeUpdate,
  cancelUpdate,
  deleteUpdate,
  pauseUpdate,
  progressQuery,
  releaseUpdate,
  reportQuery,
  resumeUpdate,
  stopUpdate,
  unscheduleUpdate,
  type CampaignProgress,
  type CampaignResult,
  type CampaignRunState,
  type CampaignWorkflowInput,
  type ControlInput,
  type ReleaseInput,
  type SendOptions,
  type StopInput,
} from './definitions';
import { ReportBuilder, fencedReport, finalResult, inFlightResult, recallResult, type FencedAnswer, type ReportStart } from './report';

const NON_RETRYABLE = ['CampaignNotFound', 'NoContent'];

// Store bookkeeping runs as local activities: in the worker that runs the workflow task, without a round trip
// through the server's task queue, so pause, stop and status changes answer sooner.
const store = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200ms', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

const SENDER_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '10s',
  // A cancelled batch settles only once the activity has confirmed it stopped: then nothing more can leave.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * The send batches of one account. Their fairness key is the account: where the Temporal server runs task queue
 * fairness, a slot freed on a full worker goes to the account with the fewest tasks dispatched, not to whichever
 * task was scheduled first (see src/activities/share.ts for how slots are freed).
 */
function senderFor(accountId: string) {
  return proxyActivities<Activities>({ ...SENDER_OPTIONS, priority: { fairnessKey: accountId } });
}

/**
 * Planning pages the audience (a million recipients: two hundred pages) as regular activities: local ones back to
 * back would keep the workflow task open for minutes, and a pause or stop would wait for the task's heartbeat.
 */
const planner = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200ms', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * The quiet watch (see `watchQuiet`) is a regular activity, not a local one: a local activity keeps the workflow
 * task open while it runs, and the cancels of the batches in flight would leave only when it ends (so chunks
 * waiting for their provider's slots would be sent instead of given back). It heartbeats each look, so a cancel
 * reaches it; nothing waits for the cancel to be confirmed.
 */
const watcher = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '50ms', maximumInterval: '1s', maximumAttempts: 3 },
});

/** Provider recall talks to providers: a normal activity, retried (elsewhere if its worker is lost), paced by the provider. */
const recaller = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** A control action the workflow has accepted and not yet carried out. */
interface Control {
  action: ControlAction;
  by: string;
  at: string;
  /** A brake release: deliveries planned before this (ISO) are not sent. */
  expireBefore?: string;
}

/** How a hold by the account brake ended: the brake was off, it was released, or another action came instead. */
type Hold = 'free' | 'released' | 'interrupted';

/** How a stretch of planning and sending ended. */
type Interruption = 'control' | 'done';

/** What a stop, cancel or delete records its unsent deliveries as. */
const ENDINGS = { stop: 'stopped', delete: 'deleted', cancel: 'cancelled' } as const satisfies Record<string, NotSentReason>;
type Ending = keyof typeof ENDINGS;

const now = (): string => new Date().toISOString();

/**
 * How long a closing request asks the store whether it is quiet before leaving it to the batches' confirmations (a
 * lost worker's chunk keeps it from being quiet until its batch's heartbeat timeout settles it).
 */
const QUIET_WITHIN_MS = 15_000;

/** The short first watch, as a local activity: it delays the batches' cancels by as much, so it stays short. */
const QUICK_QUIET_MS = 100;

/**
 * The patch (see `patched`) under which a fence's local activity also takes the first look at the wire, and a
 * pause's or a hold's lease settlement rides with its status write: one local activity where there were two, each
 * waiting for turns of a busy worker's event loop. Histories from before it replay the old way.
 */
const FOLDED = 'folded-local-activities';

/**
 * The patch under which a batch that ends braked after its pass was cut short asks nothing of the workflow. Before
 * it, such a batch ending during the brake's hold asked for a second hold, and the release that came meanwhile was
 * refused as "a brake is under way": the campaign then went on without the release's 7-day rule.
 */
const PASS_CUT_SHORT = 'braked-batch-of-a-cut-pass';

/**
 * The patch under which a stop or delete that cuts a pass short is answered by its fence's local activity, once
 * that finds nothing on the wire (see `fenceAndAnswer`): one local activity on the answer's way where there were
 * three (fence, answer, report), each waiting for turns of a busy worker's event loop.
 */
const ANSWERED_BY_FENCE = 'stop-answered-by-its-fence';

/**
 * The patch under which a pause or a brake that cuts a pass short holds the campaign in the local activity of its
 * first look at the wire, once that finds nothing on it: the status is written there instead of in one more.
 */
const HELD_BY_LOOK = 'hold-written-by-its-look';

/** The state of one campaign run and everything that acts on it. */
class CampaignRun {
  readonly state: CampaignRunState;
  readonly options: SendOptions;
  readonly campaignId: string;
  /** The run reopened a Finished campaign whose workflow had closed, for a stop. */
  readonly reopened: boolean;
  control: Control | undefined;
  /** The stop's, cancel's or delete's report once it has answered (then kept up to date). */
  report: ControlReport | null = null;
  private readonly sender: ReturnType<typeof senderFor>;
  private sendScope: CancellationScope | undefined;
  private inFlight = 0;
  /** Batches in flight when the last pause or stop arrived, and how many of them it cut short (each confirmed). */
  private inFlightAtRequest = 0;
  private aborted = 0;
  /** Numbers this run's batches: a batch key (run id / number) is never reused. */
  private batchSeq = 0;
  /** The fence writes the handlers started, in order: awaited before any answer. */
  private fencing: Promise<void> = Promise.resolve();
  /** The last send pass, the one the store has said is quiet (closed, nothing on the wire), and the watch asking. */
  private lastPass: CancellationScope | undefined;
  private quietPass: CancellationScope | undefined;
  private quietWatch: CancellationScope | undefined;
  /** The answer a stop's or delete's fence gave (see `request`): the compensation starts from it. */
  private fencedAnswer: (FencedAnswer & { unsent: number }) | undefined;
  /** A pause's fence wrote Paused; a brake's look wrote its hold (whether the brake held the campaign). */
  private pausedByFence = false;
  private heldByLook: boolean | undefined;

  constructor(private readonly input: CampaignWorkflowInput) {
    this.options = { ...DEFAULT_SEND_OPTIONS, ...input.options };
    this.campaignId = input.campaignId;
    this.sender = senderFor(input.accountId);
    this.reopened = input.carried?.phase === 'done';
    this.state = input.carried ?? {
      phase: input.scheduledAt ? 'scheduled' : 'planning',
      // The API (or a backend service) records this status when it starts the workflow; the workflow mirrors it.
      status: input.scheduledAt ? 'Scheduled' : 'Sending',
      cursor: 0,
      tally: { planned: 0, sent: 0, failed: 0, notSent: 0, batches: 0 },
      generation: 0,
    };
  }

  // ---- queries and validators ----

  progress(): CampaignProgress {
    return {
      ...this.state,
      campaignId: this.campaignId,
      scheduledAt: this.input.scheduledAt ?? null,
      inFlightBatches: this.inFlight,
      pending: this.control?.action ?? null,
    };
  }

  /**
   * Validator: refuses an action the current status does not allow. While one action is under way only the same
   * one is accepted, except that an emergency (stop, delete) overrides a pause or brake hold in progress.
   */
  allow(action: ControlAction): void {
    const pending = this.control?.action;
    const overrides = (action === 'stop' || action === 'delete') && (pending === 'pause' || pending === 'brake');
    const status = this.state.status;
    let refusal: string | undefined;
    if (!canControl(action, status)) refusal = `cannot ${action} a campaign that is ${status}`;
    else if (pending && pending !== action && !overrides) refusal = `cannot ${action} a campaign that is ${status} (a ${pending} is under way)`;
    else if (action === 'release' && !this.state.heldByBrake) {
      refusal = `cannot release a campaign the brake does not hold (it is ${status}${status === 'Paused' ? ' by hand: resume it' : ''})`;
    }
    if (refusal) throw ApplicationFailure.create({ message: refusal, type: REFUSED.transition, nonRetryable: true, details: [status] });
  }

  /** Validator of stop and delete: the campaign id typed again, and the status allows it. */
  confirmed(action: 'stop' | 'delete', req: StopInput | undefined): void {
    if (req?.confirmation !== this.campaignId) {
      throw ApplicationFailure.create({
        message: `confirmation must be the campaign id ${this.campaignId}`,
        type: REFUSED.confirmation,
        nonRetryable: true,
      });
    }
    this.allow(action);
  }

  // ---- handlers ----

  /**
   * Records the request and interrupts whatever the workflow is waiting on or sending. A pause, stop or delete
   * also fences the campaign in the store at once, so that no worker, even one cut off, hands anything more over.
   */
  request(action: ControlAction, by: string | undefined, expireBefore?: string): void {
    const underWay = this.control !== undefined;
    if (this.control?.action !== action) this.control = { action, by: by ?? 'temporal', at: now(), ...(expireBefore ? { expireBefore } : {}) };
    const pass = this.sendScope && !this.sendScope.consideredCancelled ? this.sendScope : undefined;
    let firstLook: Promise<boolean> | 'quick' = 'quick';
    if (action === 'pause' || action === 'stop' || action === 'delete') {
      const fence = action;
      // With a pass to cut short, the fence's activity takes the first look at the wire too and, if it finds
      // nothing on it, answers a stop or delete, or writes a pause's status.
      const look = pass !== undefined && patched(FOLDED);
      let fenced: Promise<boolean>;
      if (fence !== 'pause' && look && patched(ANSWERED_BY_FENCE)) fenced = this.fenceAndAnswer(fence);
      else {
        const pauseWhenQuiet = fence === 'pause' && look && patched(HELD_BY_LOOK);
        const input = { campaignId: this.campaignId, fence, ...(look ? { quietWithinMs: QUICK_QUIET_MS } : {}), ...(pauseWhenQuiet ? { pauseWhenQuiet } : {}) };
        fenced = this.fencing.then(async () => {
          const quiet = await store.fence(input);
          this.pausedByFence = quiet && pauseWhenQuiet;
          return quiet;
        });
      }
      this.fencing = fenced.then(() => undefined);
      if (look) firstLook = fenced;
    } else if (action === 'brake' && pass && patched(HELD_BY_LOOK)) {
      firstLook = this.fencing.then(async () => {
        const hold = await store.awaitQuietAndHold({ campaignId: this.campaignId, withinMs: QUICK_QUIET_MS });
        this.heldByLook = hold?.held;
        return hold !== null;
      });
    }
    if (pass) {
      this.inFlightAtRequest = this.inFlight;
      this.aborted = 0;
      pass.cancel();
      // The campaign is closed (a stop's or delete's fence and the brake were written before the update, a pause's
      // just above), and the batches stop starting messages as soon as their worker sees it (../activities/closed):
      // what was on the wire is usually done within a round trip, so a short first look in this workflow task is
      // worth the delay it puts on the batches' cancels.
      this.watchQuiet(pass, { firstLook });
    } else if (!underWay) {
      // Nothing is sending. (A stop that follows a pause still in progress reports what the pause found in flight.)
      this.inFlightAtRequest = 0;
      this.aborted = 0;
    }
  }

  /**
   * Writes a stop's or delete's fence, takes the first look at the wire and, if nothing is on it, answers (see
   * `fenceAndAnswer`); returns whether it was quiet. The request is the one just recorded, from a Sending campaign.
   */
  private fenceAndAnswer(fence: 'stop' | 'delete'): Promise<boolean> {
    const { campaignId } = this;
    const start: ReportStart = { campaignId, action: fence, requestedBy: this.control!.by, requestedAt: this.control!.at, from: this.state.status };
    const inFlight = this.inFlight;
    const answer = { status: 'Stopped' as const, reason: ENDINGS[fence], deleted: fence === 'delete', report: start, inFlight };
    return this.fencing.then(async () => {
      const answered = await store.fenceAndAnswer({ campaignId, fence, quietWithinMs: QUICK_QUIET_MS, answer });
      if (!answered) return false;
      const { quietAt, answeredAt, counts, unsent } = answered;
      this.fencedAnswer = { start, inFlight, quietAt, answeredAt, counts, unsent };
      return true;
    });
  }

  /**
   * Once the fence is written (or the brake is on), asks the store until nothing of the campaign is on the wire: then
   * `pass` may end at once, without waiting for each batch to confirm its cancel through the server (those batches
   * can hand nothing more over). A lost worker's chunk keeps the store from being quiet; its batch's heartbeat
   * timeout ends the pass instead. `fence` is written first when given; `firstLook` comes before the watch: a short
   * look of its own ('quick') or one under way.
   */
  private watchQuiet(pass: CancellationScope, { fence, firstLook }: { fence?: Fence; firstLook?: Promise<boolean> | 'quick' }): void {
    this.quietWatch?.cancel();
    // Shielded from the workflow's own cancellation (a cancelled workflow is stopped, and this ends its pass), but
    // cancelled once the pass is over.
    const watch = CancellationScope.nonCancellable(async () => {
      const scope = new CancellationScope();
      this.quietWatch = scope;
      await scope.run(async () => {
        await this.fencing;
        if (fence) await store.fence({ campaignId: this.campaignId, fence });
        // The first look in this workflow task, then the regular watch (once the batches' cancels have left).
        const { campaignId } = this;
        const look = firstLook === 'quick' ? store.awaitQuiet({ campaignId, withinMs: QUICK_QUIET_MS }) : firstLook;
        const quiet = (look !== undefined && (await look)) || (await watcher.awaitQuiet({ campaignId, withinMs: QUIET_WITHIN_MS }));
        if (quiet) this.quietPass = pass;
      });
    });
    watch.catch(() => undefined);
  }

  /**
   * Before a stop's answer, when batches may still run (the workflow itself was cancelled, or a batch failed while
   * a stop was under way): fences the campaign and waits until nothing can leave.
   */
  private async closeOut(fence: Fence): Promise<void> {
    const pass = this.lastPass;
    if (this.inFlight === 0 || !pass || this.quietPass === pass) return;
    this.watchQuiet(pass, { fence });
    await condition(() => this.inFlight === 0 || this.quietPass === pass);
    this.quietWatch?.cancel();
  }

  /** A control update's body: records the request, then answers once `done` holds. */
  async carry<T>(action: ControlAction, req: ControlInput | ReleaseInput | undefined, done: () => boolean, answer: () => T): Promise<T> {
    this.request(action, req?.requestedBy, req && 'expireBefore' in req ? req.expireBefore : undefined);
    await condition(done);
    return answer();
  }

  // ---- the main loop ----

  async run(): Promise<CampaignResult> {
    try {
      let heldFromSchedule = false;
      if (this.state.phase === 'scheduled') {
        if (!this.input.carried) await this.enter('Scheduled');
        // At its time the campaign starts, unless the account's brake is on: then it waits for the release.
        if (!(await this.waitOrControl(Date.parse(this.input.scheduledAt ?? '') - Date.now()))) {
          const hold = await this.holdWhileBraked('Scheduled');
          if (hold !== 'interrupted') this.state.phase = 'planning';
          heldFromSchedule = hold === 'released';
        }
      }
      if (this.state.phase === 'planning' && !this.state.startedAt) {
        const pacing = await store.loadPacing({ campaignId: this.campaignId });
        this.state.throttle = pacing.throttle;
        this.state.endAt = pacing.endAt;
        // Held past its time by the brake, it is planned at its scheduled time: the release's 7-day rule applies.
        this.state.startedAt = heldFromSchedule ? this.input.scheduledAt! : now();
        await this.enter('Sending');
      }

      for (;;) {
        if ((await this.planAndSend()) === 'done') break;
        const action = this.control!.action;
        if (action === 'stop' || action === 'delete' || action === 'cancel') return await this.compensate(action);
        if (action === 'unschedule') {
          await this.enter('Draft');
          return { status: 'Draft', tally: this.state.tally };
        }
        if (action === 'brake') {
          if ((await this.holdWhileBraked('Paused')) === 'interrupted') continue;
        } else {
          this.control = undefined;
          await this.fencing;
          if (this.pausedByFence) {
            this.pausedByFence = false;
            this.mirror('Paused');
            log.info('campaign Paused', { campaignId: this.campaignId, status: 'Paused' });
          } else if (patched(FOLDED)) await this.enter('Paused', { settleLeases: true });
          else {
            await store.settleLeases({ campaignId: this.campaignId });
            await this.enter('Paused');
          }
          await condition(() => this.control !== undefined);
          if (this.control!.action !== 'resume') continue;
          this.control = undefined;
          await store.fence({ campaignId: this.campaignId, fence: null });
        }
        await store.retryInDoubt({ campaignId: this.campaignId });
        // Re-read the audience: contacts added meanwhile join; the unique delivery key keeps everyone else once.
        this.state.phase = 'planning';
        this.state.cursor = 0;
        await this.enter('Sending');
      }

      if (this.reopened) {
        // Reopened for a stop after the first run closed: the stop update arrives with the start.
        if (await this.waitOrControl(60_000)) return await this.compensate('stop');
        return { status: this.state.status, tally: this.state.tally };
      }
      const counts = await store.countDeliveries({ campaignId: this.campaignId });
      this.state.tally = tallyOf(counts.total, this.state.tally.batches);
      if (this.state.status !== 'Finished') await this.enter('Finished');
      // A stop that arrived while the last counts were taken still gets its answer.
      if (this.control?.action === 'stop') return await this.compensate('stop');
      await condition(allHandlersFinished);
      return { status: this.state.status, tally: this.state.tally };
    } catch (err) {
      return this.failed(err);
    }
  }

  /** Plans and sends until everything is handed over or a control action interrupts; returns which. */
  private async planAndSend(): Promise<Interruption> {
    const { state, campaignId } = this;
    for (;;) {
      if (this.control) return 'control';
      if (state.phase === 'planning') {
        const page = await planner.planAudiencePage({ campaignId, cursor: state.cursor, pageSize: this.options.pageSize, startAt: state.startedAt! });
        state.tally.planned += page.planned;
        state.tally.notSent += page.suppressed;
        if (page.nextCursor === null) state.phase = 'sending';
        else state.cursor = page.nextCursor;
        if (this.shouldCarryOn()) await this.carryOn();
        continue;
      }
      if (state.phase !== 'sending') return 'done';
      if (state.expireBefore) {
        // Released by the brake: what was planned more than 7 days before the release is not sent.
        await store.settleLeases({ campaignId });
        await store.markUnsent({ campaignId, reason: 'brake_expired', plannedBefore: state.expireBefore });
        state.expireBefore = undefined;
      }

      const endAt = state.endAt ? Date.parse(state.endAt) : Number.POSITIVE_INFINITY;
      const throttle = state.throttle;
      // A new throttle window (or, unthrottled, a new pass) starts only before the end date; an open window completes.
      if (!state.window && Date.now() >= endAt) {
        await store.settleLeases({ campaignId });
        await store.markUnsent({ campaignId, reason: 'end_date_passed' });
        state.phase = 'done';
        continue;
      }
      if (throttle && !state.window) {
        const counts = await store.countDeliveries({ campaignId });
        state.window = { openedAt: Date.now(), doneAtOpen: counts.total.sent + counts.total.failed, used: 0 };
      }
      await this.sendPass();
      if (this.control) {
        if (state.window) {
          // The aborted batch handed part of its deliveries: the window's use is what was handed since it opened.
          const counts = await CancellationScope.nonCancellable(() => store.countDeliveries({ campaignId }));
          state.window.used = counts.total.sent + counts.total.failed - state.window.doneAtOpen;
        }
        return 'control';
      }
      if (this.shouldCarryOn()) await this.carryOn();
      if (throttle && state.window && state.window.used >= throttle.limit) {
        const nextWindow = state.window.openedAt + throttle.periodSeconds * 1000;
        if (await this.waitOrControl(nextWindow - Date.now())) return 'control';
        state.window = undefined;
        continue;
      }
      // Batches lost with their workers left leases behind: settle them (in doubt) and send what they held.
      if ((await store.settleLeases({ campaignId })) > 0) await store.retryInDoubt({ campaignId });
      state.window = undefined;
      const nextPlanned = await store.nextPlannedAt({ campaignId });
      if (nextPlanned === null) {
        state.phase = 'done';
        return 'done';
      }
      const due = Date.parse(nextPlanned);
      if (due <= Date.now()) continue;
      // Everything due is handed over; the rest waits for its recipients' local time (still Sending: pausable).
      if (await this.waitOrControl(Math.min(due, endAt) - Date.now())) return 'control';
    }
  }

  /**
   * Runs send batches until no due delivery is left, the throttle window is used up, or a control action arrives.
   * Each channel has lanes of its own (one under a throttle), so a slow channel never holds up another.
   */
  private async sendPass(): Promise<void> {
    const throttle = this.state.throttle;
    const budget = { left: throttle && this.state.window ? throttle.limit - this.state.window.used : Number.POSITIVE_INFINITY };
    const scope = new CancellationScope();
    this.sendScope = scope;
    const lanesPerChannel = throttle ? 1 : this.options.concurrency;
    const lanes = this.input.channels.flatMap((channel) => Array.from({ length: lanesPerChannel }, () => this.lane(channel, budget, scope)));
    this.lastPass = scope;
    let ended: PromiseSettledResult<void>[] | undefined;
    void scope.run(() => Promise.allSettled(lanes.map((lane) => lane()))).then((lanes) => (ended = lanes));
    try {
      await condition(() => ended !== undefined || this.quietPass === scope);
    } finally {
      this.sendScope = undefined;
      this.quietWatch?.cancel();
      this.quietWatch = undefined;
    }
    const failure = ended?.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** One lane of a channel: batch after batch until the channel has nothing due, or the pass must end. */
  private lane(channel: Channel, budget: { left: number }, scope: CancellationScope): () => Promise<void> {
    return async () => {
      const { state, campaignId } = this;
      while (!this.control && budget.left > 0 && !this.shouldCarryOn()) {
        const batchSize = Math.min(this.options.batchSize, budget.left);
        budget.left -= batchSize;
        this.inFlight++;
        try {
          const batchKey = `${workflowInfo().runId}/${++this.batchSeq}`;
          const r = await this.sender.sendBatch({ campaignId, channel, batchSize, batchKey });
          budget.left += batchSize - r.claimed;
          // (A batch that ends after its pass was cut short leaves the window to the pass's recount.)
          if (state.window && this.sendScope === scope) state.window.used += r.claimed;
          state.tally.sent += r.sent;
          state.tally.failed += r.failed;
          state.tally.batches++;
          // The account's brake is on, whether or not its update has reached this workflow: hold the campaign. (A
          // batch of a pass already cut short ends after the campaign may be held: nothing to ask again.)
          if (r.braked && !this.control && (!scope.consideredCancelled || !patched(PASS_CUT_SHORT))) this.request('brake', 'account brake');
          // A yielded batch gave its worker slot to another account: the lane goes on, behind whatever waited.
          if (r.closed || (r.claimed === 0 && !r.yielded)) return;
        } catch (err) {
          // Once the pass is cancelled, a batch that ended in any way is aborted: nothing more leaves from it. (A
          // batch whose worker died after the cancel is reported as timed out, one in retry backoff as its last
          // failure.)
          if (!isCancellation(err) && !scope.consideredCancelled) {
            // The campaign cannot go on: stop the other lanes too before it ends in Error.
            scope.cancel();
            throw err;
          }
          this.aborted++;
          return;
        } finally {
          this.inFlight--;
        }
      }
    };
  }

  /**
   * While the account's brake is on, holds the campaign in `status` (Paused, or Scheduled past its time) until the
   * brake is released or another action (stop, delete, cancel, unschedule) comes instead.
   */
  private async holdWhileBraked(status: 'Paused' | 'Scheduled'): Promise<Hold> {
    // Held from Paused, batches may have run: their leases are settled first.
    const settleLeases = status === 'Paused';
    let held: boolean;
    const looked = this.heldByLook;
    this.heldByLook = undefined;
    if (looked !== undefined && status === 'Paused') held = looked;
    else if (patched(FOLDED)) held = await store.holdForBrake({ campaignId: this.campaignId, status, settleLeases });
    else {
      if (settleLeases) await store.settleLeases({ campaignId: this.campaignId });
      held = await store.holdForBrake({ campaignId: this.campaignId, status });
    }
    if (this.control?.action === 'brake') this.control = undefined;
    if (this.control) return 'interrupted';
    if (!held) return 'free';
    this.state.heldByBrake = true;
    this.mirror(status);
    await condition(() => this.control !== undefined);
    const { action, expireBefore } = this.control!;
    if (action !== 'release' && action !== 'resume') return 'interrupted';
    this.control = undefined;
    this.state.heldByBrake = false;
    this.state.expireBefore = expireBefore;
    return 'released';
  }

  /**
   * The compensation of a stop, cancel or delete; nothing cancels it once it has begun. A campaign that never
   * started is planned and marked before it answers, and ends Cancelled; one that did answers as soon as nothing
   * can leave, with exact counts, and ends Stopped; the rest of the work follows the answer. A deleted one is also
   * marked deleted.
   */
  private compensate(action: Ending): Promise<CampaignResult> {
    return CancellationScope.nonCancellable(async () => {
      const { campaignId } = this;
      const reason = ENDINGS[action];
      const from = this.state.status;
      const started = from !== 'Scheduled';
      const final: CampaignStatus = started ? 'Stopped' : 'Cancelled';
      await this.fencing;
      // Answered by the stop's or delete's fence (saved with its report), or to be answered here.
      const fenced = started && this.fencedAnswer?.start.action === action ? this.fencedAnswer : undefined;
      const builder = fenced
        ? fencedReport(fenced)
        : new ReportBuilder({ campaignId, action, requestedBy: this.control?.by ?? 'temporal', requestedAt: this.control?.at ?? now(), from });
      const publish = async (saved = true) => {
        this.report = builder.snapshot();
        if (saved) await store.saveReport({ report: this.report });
      };
      if (started) {
        let unsent = fenced?.unsent ?? 0;
        if (fenced) this.mirror(final);
        else {
          await this.closeOut(action === 'delete' ? 'delete' : 'stop');
          const inFlight = this.inFlightAtRequest;
          const abortedAt = now();
          const answer = await store.answerStop({ campaignId, status: final, reason, deleted: action === 'delete' });
          this.mirror(final);
          const inDoubt = answer.counts.total.inDoubt;
          builder.step('in_flight_aborted', abortedAt, inFlightResult(inFlight, this.aborted, inDoubt), { inFlight, aborted: this.aborted, inDoubt });
          builder.answer(now(), answer.counts);
          unsent = answer.unsent;
        }
        // The answer: saved (by the fence's activity, if that answered), then the update handlers return it. The
        // workflow task ends here (a timer needs the server), so the answer leaves now instead of after the local
        // activities of the compensation.
        await publish(!fenced);
        log.info(`campaign ${final}`, { campaignId, status: final, answeredAt: this.report!.answeredAt });
        await sleep(1);
        await this.writeUnsent(builder, reason, unsent, publish, true);
        await this.recall(builder, publish);
      } else {
        // Nothing was planned before the start: plan everyone now, so each one is recorded as not sent.
        const startAt = now();
        let planned = 0;
        for (let cursor: number | null = 0; cursor !== null; ) {
          const page: PlanPageResult = await store.planAudiencePage({ campaignId, cursor, pageSize: this.options.pageSize, startAt });
          planned += page.planned;
          cursor = page.nextCursor;
        }
        builder.step('audience_planned', now(), `${planned} deliveries planned so that each can be recorded`, { planned });
        const pending = (await store.countDeliveries({ campaignId })).total.pending;
        await this.writeUnsent(builder, reason, pending, async () => undefined, false);
        await this.enter(final, { deleted: action === 'delete' });
      }
      const counts = await store.countDeliveries({ campaignId });
      builder.step('final_counts', now(), finalResult(counts.total));
      builder.complete(now(), counts);
      await publish();
      this.state.phase = 'done';
      return { status: final, tally: tallyOf(counts.total, this.state.tally.batches) };
    });
  }

  /** Writes notSent(`reason`) and its event for every pending delivery, chunk by chunk, the report following. */
  private async writeUnsent(builder: ReportBuilder, reason: NotSentReason, total: number, publish: () => Promise<void>, counted: boolean): Promise<void> {
    builder.begin('not_sent_written', now(), `0 of ${total} deliveries marked notSent(${reason})`, total);
    const written: Partial<Record<Channel, number>> = {};
    let done = 0;
    for (;;) {
      const chunk = await store.markUnsent({ campaignId: this.campaignId, reason, chunks: 1, counted });
      const n = Object.values(chunk).reduce((a, b) => a + b, 0);
      if (n === 0) break;
      for (const [channel, k] of Object.entries(chunk) as [Channel, number][]) written[channel] = (written[channel] ?? 0) + k;
      done += n;
      builder.progress('not_sent_written', done, `${done} of ${total} deliveries marked notSent(${reason}), one event each`, written);
      await publish();
    }
    builder.progress('not_sent_written', done, `${done} deliveries marked notSent(${reason}), one event each`, written);
    builder.end('not_sent_written', now());
  }

  /** Asks each channel's provider to take back what it still can, page by page, the report following. */
  private async recall(builder: ReportBuilder, publish: () => Promise<void>): Promise<void> {
    const totals = { asked: 0, cancelled: 0, tooLate: 0, errors: 0 };
    const unsupported: string[] = [];
    builder.begin('provider_cancellation', now(), recallResult(totals, unsupported));
    for (const channel of this.input.channels) {
      for (let afterId: number | null = 0; afterId !== null; ) {
        const page: RecallPage = await recaller.recallPage({ campaignId: this.campaignId, channel, afterId });
        if (page.unsupported) unsupported.push(channel);
        totals.asked += page.asked;
        totals.cancelled += page.cancelled;
        totals.tooLate += page.tooLate;
        totals.errors += page.errors;
        afterId = page.nextAfter;
        builder.progress('provider_cancellation', totals.asked, recallResult(totals, unsupported), { ...totals });
        if (page.asked > 0) await publish();
      }
    }
    builder.end('provider_cancellation', now());
  }

  /** The campaign cannot go on, or the workflow itself was cancelled. */
  private async failed(err: unknown): Promise<CampaignResult> {
    if (isCancellation(err)) {
      // The workflow itself was cancelled (e.g. `temporal workflow cancel`): treat it as an emergency stop.
      const before = this.state.status === 'Scheduled' ? 'cancel' : 'stop';
      if (!this.control) this.inFlightAtRequest = this.inFlight;
      this.control ??= { action: before, by: 'temporal', at: now() };
      if (FINAL_STATUSES.includes(this.state.status) || this.state.status === 'Draft') throw err;
      return await this.compensate(before);
    }
    // A stop, delete or cancel under way gets its answer whatever else went wrong.
    const ending = this.control?.action;
    if (ending === 'stop' || ending === 'delete' || ending === 'cancel') return await this.compensate(ending);
    if (err instanceof ApplicationFailure || (err instanceof Error && err.cause instanceof ApplicationFailure)) {
      const message = err.cause instanceof Error ? err.cause.message : err.message;
      // Batches cut short by the failure may have left chunks handed over: in doubt.
      await store.settleLeases({ campaignId: this.campaignId });
      await this.enter('Error', { error: message });
      return { status: 'Error', tally: this.state.tally, error: message };
    }
    throw err;
  }

  // ---- helpers ----

  /** Shows a status the store already holds: in the workflow and its search attribute. */
  private mirror(status: CampaignStatus): void {
    this.state.status = status;
    upsertSearchAttributes([{ key: CampaignStatusAttribute, value: status }]);
  }

  private async enter(status: CampaignStatus, extra: { error?: string; deleted?: boolean; settleLeases?: boolean } = {}): Promise<void> {
    await store.recordStatus({ campaignId: this.campaignId, status, ...extra });
    this.mirror(status);
    log.info(`campaign ${status}`, { campaignId: this.campaignId, status, ...(extra.error ? { error: extra.error } : {}) });
  }

  private carryOn(): Promise<never> {
    return continueAsNew<typeof campaignWorkflow>({ ...this.input, carried: { ...this.state, generation: this.state.generation + 1 } });
  }

  /** Continue-as-new is safe only between actions: no update may be waiting on this run. */
  private shouldCarryOn(): boolean {
    return workflowInfo().continueAsNewSuggested && !this.control && allHandlersFinished();
  }

  /** Waits up to `ms` for a control action; true when one arrived. */
  private async waitOrControl(ms: number): Promise<boolean> {
    if (ms > 0) await condition(() => this.control !== undefined, ms);
    return this.control !== undefined;
  }
}

/** Sends one campaign. */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignResult> {
  const run = new CampaignRun(input);
  const status = () => run.state.status;
  const answered = () => run.report !== null;
  const progress = () => run.progress();
  const report = () => run.report!;

  /** Registers a control update: the validator refuses what the status does not allow; the handler answers once done. */
  const onControl = <T, A extends ControlInput>(
    def: UpdateDefinition<T, [A]>,
    action: ControlAction,
    done: () => boolean,
    answer: () => T,
    validator: (req: A) => void = () => run.allow(action),
  ) => setHandler(def, (req: A) => run.carry(action, req, done, answer), { validator });

  setHandler(progressQuery, () => run.progress());
  setHandler(reportQuery, () => run.report);
  onControl(pauseUpdate, 'pause', () => status() !== 'Sending', progress);
  onControl(resumeUpdate, 'resume', () => status() !== 'Paused', progress);
  onControl(unscheduleUpdate, 'unschedule', () => status() === 'Draft', progress);
  onControl(brakeUpdate, 'brake', () => run.control?.action !== 'brake', progress);
  onControl(releaseUpdate, 'release', () => status() !== 'Paused' && status() !== 'Scheduled', progress);
  onControl(cancelUpdate, 'cancel', answered, report);
  onControl(stopUpdate, 'stop', answered, report, (req: StopInput) => run.confirmed('stop', req));
  onControl(deleteUpdate, 'delete', answered, report, (req: StopInput) => run.confirmed('delete', req));

  return run.run();
}

function tallyOf(c: { planned: number; sent: number; failed: number; notSent: number }, batches: number) {
  return { planned: c.planned, sent: c.sent, failed: c.failed, notSent: c.notSent, batches };
}
