/**
 * The campaign workflow: Herald's state machine for one campaign. It waits for the schedule, pages the audience
 * into deliveries, then sends them in batches per channel with a few batches in flight, paced by local time of
 * day, throttle windows and the end date. Pause, resume, stop, cancel, unschedule, delete and the account brake's
 * hold and release are updates; sends run in a cancellation scope that pause, brake, stop and delete cancel, and
 * a stop's compensation runs where nothing can cancel it. The workflow holds counters and a cursor only;
 * recipients live in the store.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { Activities } from '../activities';
import type { PlanPageResult } from '../store/store';
import type { ControlReport, ReportStep } from '../domain/types';
import {
  canControl,
  FINAL_STATUSES,
  type CampaignStatus,
  type Channel,
  type ControlAction,
  type NotSentReason,
  type ReportStepName,
} from '../domain/vocabulary';
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
  type StopInput,
} from './definitions';

const NON_RETRYABLE = ['CampaignNotFound', 'NoContent'];

// Store bookkeeping runs as local activities: in the worker that runs the workflow task, without a round trip
// through the server's task queue, so pause, stop and status changes answer sooner.
const store = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200ms', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

const sender = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '10s',
  // A cancelled batch settles only once the activity has confirmed it stopped: then nothing more can leave.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
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

/**
 * A batch whose worker died, cancelled before its heartbeat timed out: Temporal reports the timeout, not the
 * cancellation, but it is a batch aborted like the others (its rows are orphans; nothing more leaves from it).
 */
function workerLostAfterCancel(err: unknown, scope: CancellationScope): boolean {
  return scope.consideredCancelled && err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

/** Sends one campaign. */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignResult> {
  const options = { ...DEFAULT_SEND_OPTIONS, ...input.options };
  const state: CampaignRunState = input.carried ?? {
    phase: input.scheduledAt ? 'scheduled' : 'planning',
    // The API (or a backend service) records this status when it starts the workflow; the workflow mirrors it.
    status: input.scheduledAt ? 'Scheduled' : 'Sending',
    cursor: 0,
    tally: { planned: 0, sent: 0, failed: 0, notSent: 0, batches: 0 },
    generation: 0,
  };
  const reopened = input.carried?.phase === 'done';
  const campaignId = input.campaignId;
  let control: Control | undefined;
  let sendScope: CancellationScope | undefined;
  let inFlight = 0;
  /** Batches in flight when the last pause or stop arrived, and how many of them it cut short (each confirmed). */
  let inFlightAtRequest = 0;
  let aborted = 0;
  /** Numbers this run's batches: a batch key (run id / number) is never reused, so a retry takes back only its own claims. */
  let batchSeq = 0;
  let report: ControlReport | null = null;

  const progress = (): CampaignProgress => ({
    ...state,
    campaignId,
    scheduledAt: input.scheduledAt ?? null,
    inFlightBatches: inFlight,
    pending: control?.action ?? null,
  });
  const settled = () => FINAL_STATUSES.includes(state.status) || state.status === 'Draft';

  /**
   * Validator: refuses an action the current status does not allow. While one action is under way only the same
   * one is accepted, except that an emergency (stop, delete) overrides a pause or brake hold in progress.
   */
  const allow = (action: ControlAction) => (_input?: unknown) => {
    const pending = control?.action;
    const overrides = (action === 'stop' || action === 'delete') && (pending === 'pause' || pending === 'brake');
    let refusal: string | undefined;
    if (!canControl(action, state.status)) refusal = `cannot ${action} a campaign that is ${state.status}`;
    else if (pending && pending !== action && !overrides) {
      refusal = `cannot ${action} a campaign that is ${state.status} (a ${pending} is under way)`;
    } else if (action === 'release' && !state.heldByBrake) {
      refusal = `cannot release a campaign the brake does not hold (it is ${state.status}${state.status === 'Paused' ? ' by hand: resume it' : ''})`;
    }
    if (refusal) {
      throw ApplicationFailure.create({ message: refusal, type: REFUSED.transition, nonRetryable: true, details: [state.status] });
    }
  };
  /** Validator of stop and delete: the campaign id typed again, and the status allows it. */
  const confirmed = (action: 'stop' | 'delete') => (req: StopInput | undefined) => {
    if (req?.confirmation !== campaignId) {
      throw ApplicationFailure.create({
        message: `confirmation must be the campaign id ${campaignId}`,
        type: REFUSED.confirmation,
        nonRetryable: true,
      });
    }
    allow(action)(req);
  };
  /** Records the request and interrupts whatever the workflow is waiting on or sending. */
  const request = (action: ControlAction, by: string | undefined, expireBefore?: string) => {
    const underWay = control !== undefined;
    if (control?.action !== action) {
      control = { action, by: by ?? 'temporal', at: new Date().toISOString(), ...(expireBefore ? { expireBefore } : {}) };
    }
    if (sendScope && !sendScope.consideredCancelled) {
      inFlightAtRequest = inFlight;
      aborted = 0;
      sendScope.cancel();
    } else if (!underWay) {
      // Nothing is sending. (A stop that follows a pause still in progress reports what the pause found in flight.)
      inFlightAtRequest = 0;
      aborted = 0;
    }
  };

  setHandler(progressQuery, progress);
  setHandler(reportQuery, () => report);
  /** Registers a control update: it records the request, then answers once `done` holds. */
  const onControl = <Ret>(def: UpdateDefinition<Ret, [ControlInput]>, action: ControlAction, done: () => boolean, answer: () => Ret) =>
    setHandler(
      def,
      async (req: ControlInput) => {
        request(action, req?.requestedBy);
        await condition(done);
        return answer();
      },
      { validator: allow(action) },
    );
  onControl(pauseUpdate, 'pause', () => state.status !== 'Sending', progress);
  onControl(resumeUpdate, 'resume', () => state.status !== 'Paused', progress);
  onControl(unscheduleUpdate, 'unschedule', () => state.status === 'Draft', progress);
  onControl(cancelUpdate, 'cancel', () => report !== null, () => report!);
  onControl(brakeUpdate, 'brake', () => control?.action !== 'brake', progress);
  setHandler(
    releaseUpdate,
    async (req) => {
      request('release', req.requestedBy, req.expireBefore);
      await condition(() => state.status !== 'Paused' && state.status !== 'Scheduled');
      return progress();
    },
    { validator: allow('release') },
  );
  for (const [def, action] of [[stopUpdate, 'stop'], [deleteUpdate, 'delete']] as const) {
    setHandler(
      def,
      async (req: StopInput) => {
        request(action, req.requestedBy);
        await condition(() => report !== null);
        return report!;
      },
      { validator: confirmed(action) },
    );
  }

  /** Shows a status the store already holds: in the workflow and its search attribute. */
  const mirror = (status: CampaignStatus): void => {
    state.status = status;
    upsertSearchAttributes([{ key: CampaignStatusAttribute, value: status }]);
  };
  const enter = async (status: CampaignStatus, extra: { error?: string; deleted?: boolean } = {}): Promise<void> => {
    await store.recordStatus({ campaignId, status, ...extra });
    mirror(status);
    log.info(`campaign ${status}`, { campaignId, status, ...(extra.error ? { error: extra.error } : {}) });
  };
  const carryOn = (): Promise<never> =>
    continueAsNew<typeof campaignWorkflow>({ ...input, carried: { ...state, generation: state.generation + 1 } });
  /** Continue-as-new is safe only between actions: no update may be waiting on this run. */
  const shouldCarryOn = () => workflowInfo().continueAsNewSuggested && !control && allHandlersFinished();
  /** Waits up to `ms` for a control action; true when one arrived. */
  const waitOrControl = async (ms: number): Promise<boolean> => {
    if (ms > 0) await condition(() => control !== undefined, ms);
    return control !== undefined;
  };

  /**
   * While the account's brake is on, holds the campaign in `status` (Paused, or Scheduled past its time) until the
   * brake is released or another action (stop, delete, cancel, unschedule) comes instead.
   */
  const holdWhileBraked = async (status: 'Paused' | 'Scheduled'): Promise<Hold> => {
    const held = await store.holdForBrake({ campaignId, status });
    if (control?.action === 'brake') control = undefined;
    if (control) return 'interrupted';
    if (!held) return 'free';
    state.heldByBrake = true;
    mirror(status);
    await condition(() => control !== undefined);
    const { action, expireBefore } = control!;
    if (action !== 'release' && action !== 'resume') return 'interrupted';
    control = undefined;
    state.heldByBrake = false;
    state.expireBefore = expireBefore;
    return 'released';
  };

  /**
   * The compensation of a stop, cancel or delete; nothing cancels it once it has begun. A campaign that never
   * started ends Cancelled, one that did ends Stopped; a deleted one is also marked deleted.
   */
  const compensate = (action: 'stop' | 'cancel' | 'delete', reason: NotSentReason): Promise<CampaignResult> =>
    CancellationScope.nonCancellable(async () => {
      const from = state.status;
      const started = from !== 'Scheduled';
      const steps: ReportStep[] = [];
      const step = (name: ReportStepName, result: string, counts?: Record<string, number>) =>
        steps.push({ step: name, at: new Date().toISOString(), result, ...(counts ? { counts } : {}) });
      if (started) {
        step(
          'in_flight_aborted',
          `${inFlightAtRequest} batch(es) in flight: ${aborted} aborted mid-batch, ${inFlightAtRequest - aborted} ` +
            'completed before the stop reached them; every one confirmed it stopped before this step',
          { inFlight: inFlightAtRequest, aborted },
        );
        await store.releaseOrphans({ campaignId });
        const cancelled = await store.cancelAtProviders({ campaignId });
        const unsupported = cancelled.unsupported.length > 0 ? `; cannot cancel: ${cancelled.unsupported.join(', ')}` : '';
        // Reports of runs before in-doubt messages were settled have no `inDoubt`.
        const inDoubt = cancelled.inDoubt ?? { resent: 0, sent: 0, failed: 0 };
        const settled =
          inDoubt.resent > 0
            ? `${inDoubt.resent} message(s) in doubt (handed to a provider by a worker lost mid-call) resent under their ` +
              `idempotency keys: ${inDoubt.sent} sent, ${inDoubt.failed} failed; `
            : '';
        step(
          'provider_cancellation',
          `${settled}asked providers to cancel ${cancelled.asked} message(s) they had accepted; ${cancelled.cancelled} cancelled, ` +
            `${cancelled.tooLate} already gone, ${cancelled.errors} error(s)${unsupported}`,
          {
            asked: cancelled.asked,
            cancelled: cancelled.cancelled,
            tooLate: cancelled.tooLate,
            errors: cancelled.errors,
            ...(inDoubt.resent > 0 ? { inDoubtResent: inDoubt.resent, inDoubtSent: inDoubt.sent, inDoubtFailed: inDoubt.failed } : {}),
          },
        );
      } else {
        // Nothing was planned before the start: plan everyone now, so each one is recorded as not sent.
        const startAt = new Date().toISOString();
        let planned = 0;
        for (let cursor: number | null = 0; cursor !== null; ) {
          const page: PlanPageResult = await store.planAudiencePage({ campaignId, cursor, pageSize: options.pageSize, startAt });
          planned += page.planned;
          cursor = page.nextCursor;
        }
        step('audience_planned', `${planned} deliveries planned so that each can be recorded`, { planned });
      }
      const written = await store.markUnsent({ campaignId, reason });
      const total = Object.values(written).reduce((a, b) => a + b, 0);
      step('not_sent_written', `${total} deliveries marked notSent(${reason}), one event each`, written);
      const counts = await store.countDeliveries({ campaignId });
      const { planned, sent, notSent, failed, pending } = counts.total;
      step('final_counts', `planned ${planned} = sent ${sent} + notSent ${notSent} + failed ${failed} + pending ${pending}`);
      const final: CampaignStatus = started ? 'Stopped' : 'Cancelled';
      const done: ControlReport = {
        campaignId,
        action,
        requestedBy: control?.by ?? 'temporal',
        requestedAt: control?.at ?? steps[0]!.at,
        completedAt: new Date().toISOString(),
        from,
        steps,
        counts: counts.total,
        byChannel: counts.byChannel,
      };
      await store.saveReport({ report: done });
      await enter(final, { deleted: action === 'delete' });
      report = done;
      state.phase = 'done';
      return { status: final, tally: tallyOf(counts.total, state.tally.batches) };
    });

  /** Runs send batches until no due delivery is left, the throttle window is used up, or a control action arrives. */
  const sendPass = async (): Promise<void> => {
    const exhausted = new Set<Channel>();
    const throttle = state.throttle;
    let budget = throttle && state.window ? throttle.limit - state.window.used : Number.POSITIVE_INFINITY;
    let next = 0;
    const scope = new CancellationScope();
    sendScope = scope;
    // One lane per concurrent batch (one under a throttle); each takes the next channel with work left, round robin.
    const lane = async (): Promise<void> => {
      while (exhausted.size < input.channels.length && !control && budget > 0 && !shouldCarryOn()) {
        const open = input.channels.filter((c) => !exhausted.has(c));
        const channel = open[next++ % open.length]!;
        const batchSize = Math.min(options.batchSize, budget);
        budget -= batchSize;
        inFlight++;
        try {
          const batchKey = `${workflowInfo().runId}/${++batchSeq}`;
          const r = await sender.sendBatch({ campaignId, channel, batchSize, batchKey });
          if (r.braked) {
            // The account's brake is on, whether or not its update has reached this workflow: hold the campaign.
            if (!control) request('brake', 'account brake');
            return;
          }
          budget += batchSize - r.claimed;
          if (r.claimed === 0) exhausted.add(channel);
          if (state.window) state.window.used += r.claimed;
          state.tally.sent += r.sent;
          state.tally.failed += r.failed;
          state.tally.batches++;
        } catch (err) {
          if (!isCancellation(err) && !workerLostAfterCancel(err, scope)) {
            // The campaign cannot go on: stop the other lanes too before it ends in Error.
            scope.cancel();
            throw err;
          }
          aborted++;
          return;
        } finally {
          inFlight--;
        }
      }
    };
    try {
      const lanes = await scope.run(() => Promise.allSettled(Array.from({ length: throttle ? 1 : options.concurrency }, lane)));
      const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
      if (failure) throw failure.reason;
    } finally {
      sendScope = undefined;
    }
  };

  /** Plans and sends until everything is handed over or a control action interrupts; returns which. */
  const run = async (): Promise<Interruption> => {
    for (;;) {
      if (control) return 'control';
      if (state.phase === 'planning') {
        const page = await store.planAudiencePage({ campaignId, cursor: state.cursor, pageSize: options.pageSize, startAt: state.startedAt! });
        state.tally.planned += page.planned;
        state.tally.notSent += page.suppressed;
        if (page.nextCursor === null) state.phase = 'sending';
        else state.cursor = page.nextCursor;
        if (shouldCarryOn()) await carryOn();
        continue;
      }
      if (state.phase !== 'sending') return 'done';
      if (state.expireBefore) {
        // Released by the brake: what was planned more than 7 days before the release is not sent.
        await store.markUnsent({ campaignId, reason: 'brake_expired', plannedBefore: state.expireBefore });
        state.expireBefore = undefined;
      }

      const endAt = state.endAt ? Date.parse(state.endAt) : Number.POSITIVE_INFINITY;
      const throttle = state.throttle;
      // A new throttle window (or, unthrottled, a new pass) starts only before the end date; an open window completes.
      if (!state.window && Date.now() >= endAt) {
        await expire();
        continue;
      }
      if (throttle && !state.window) {
        const counts = await store.countDeliveries({ campaignId });
        state.window = { openedAt: Date.now(), doneAtOpen: counts.total.sent + counts.total.failed, used: 0 };
      }
      await sendPass();
      if (control) {
        await CancellationScope.nonCancellable(() => store.releaseOrphans({ campaignId }));
        if (state.window) {
          // The aborted batch handed part of its deliveries: the window's use is what was handed since it opened.
          const counts = await store.countDeliveries({ campaignId });
          state.window.used = counts.total.sent + counts.total.failed - state.window.doneAtOpen;
        }
        return 'control';
      }
      if (shouldCarryOn()) await carryOn();
      if (throttle && state.window && state.window.used >= throttle.limit) {
        const nextWindow = state.window.openedAt + throttle.periodSeconds * 1000;
        if (await waitOrControl(nextWindow - Date.now())) return 'control';
        state.window = undefined;
        continue;
      }
      // Batches that crashed out of earlier runs left claims behind: take them back and send them.
      if ((await store.releaseOrphans({ campaignId })) > 0) continue;
      state.window = undefined;
      const nextPlanned = await store.nextPlannedAt({ campaignId });
      if (nextPlanned === null) {
        state.phase = 'done';
        return 'done';
      }
      // Everything due is handed over; the rest waits for its recipients' local time (still Sending: pausable).
      const due = Date.parse(nextPlanned);
      if (await waitOrControl(Math.min(due, endAt) - Date.now())) return 'control';
    }
  };

  /** The end date has passed: whatever is left is notSent(end_date_passed). */
  const expire = async (): Promise<void> => {
    await store.markUnsent({ campaignId, reason: 'end_date_passed' });
    state.phase = 'done';
  };

  try {
    let heldFromSchedule = false;
    if (state.phase === 'scheduled') {
      if (!input.carried) await enter('Scheduled');
      // At its time the campaign starts, unless the account's brake is on: then it waits for the release.
      if (!(await waitOrControl(Date.parse(input.scheduledAt ?? '') - Date.now()))) {
        const hold = await holdWhileBraked('Scheduled');
        if (hold !== 'interrupted') state.phase = 'planning';
        heldFromSchedule = hold === 'released';
      }
    }
    if (state.phase === 'planning' && !state.startedAt) {
      const pacing = await store.loadPacing({ campaignId });
      state.throttle = pacing.throttle;
      state.endAt = pacing.endAt;
      // Held past its time by the brake, it is planned at its scheduled time: the release's 7-day rule applies.
      state.startedAt = heldFromSchedule ? input.scheduledAt! : new Date().toISOString();
      await enter('Sending');
    }

    for (;;) {
      if ((await run()) === 'done') break;
      const action = control!.action;
      if (action === 'stop') return await compensate('stop', 'stopped');
      if (action === 'delete') return await compensate('delete', 'deleted');
      if (action === 'cancel') return await compensate('cancel', 'cancelled');
      if (action === 'unschedule') {
        await enter('Draft');
        return { status: 'Draft', tally: state.tally };
      }
      if (action === 'brake') {
        if ((await holdWhileBraked('Paused')) === 'interrupted') continue;
      } else {
        control = undefined;
        await enter('Paused');
        await condition(() => control !== undefined);
        if (control!.action !== 'resume') continue;
        control = undefined;
      }
      // Re-read the audience: contacts added meanwhile join; the unique delivery key keeps everyone else once.
      state.phase = 'planning';
      state.cursor = 0;
      await enter('Sending');
    }

    if (reopened) {
      // Reopened for a stop after the first run closed: the stop update arrives with the start.
      if (await waitOrControl(60_000)) return await compensate('stop', 'stopped');
      return { status: state.status, tally: state.tally };
    }
    const counts = await store.countDeliveries({ campaignId });
    state.tally = tallyOf(counts.total, state.tally.batches);
    if (state.status !== 'Finished') await enter('Finished');
    // A stop that arrived while the last counts were taken still gets its answer.
    if (control?.action === 'stop') return await compensate('stop', 'stopped');
    await condition(allHandlersFinished);
    return { status: state.status, tally: state.tally };
  } catch (err) {
    if (isCancellation(err)) {
      // The workflow itself was cancelled (e.g. `temporal workflow cancel`): treat it as an emergency stop.
      const before = state.status === 'Scheduled' ? 'cancel' : 'stop';
      control ??= { action: before, by: 'temporal', at: new Date().toISOString() };
      if (settled()) throw err;
      return await (before === 'cancel' ? compensate('cancel', 'cancelled') : compensate('stop', 'stopped'));
    }
    if (err instanceof ApplicationFailure || (err instanceof Error && err.cause instanceof ApplicationFailure)) {
      const message = err.cause instanceof Error ? err.cause.message : err.message;
      // Batches cut short by the failure leave nothing claimed behind: their rows are pending again.
      await store.releaseOrphans({ campaignId });
      await enter('Error', { error: message });
      return { status: 'Error', tally: state.tally, error: message };
    }
    throw err;
  }
}

function tallyOf(c: { planned: number; sent: number; failed: number; notSent: number }, batches: number) {
  return { planned: c.planned, sent: c.sent, failed: c.failed, notSent: c.notSent, batches };
}
