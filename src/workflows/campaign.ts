/**
 * The campaign workflow: Herald's state machine for one campaign. It waits for the schedule, pages the audience
 * into deliveries, then sends them in batches per channel with a few batches in flight, paced by local time of
 * day, throttle windows and the end date. Pause, resume, stop, cancel and unschedule are updates; sends run in a
 * cancellation scope that pause and stop cancel, and a stop's compensation runs where nothing can cancel it.
 * The workflow holds counters and a cursor only; recipients live in the store.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
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
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  reportQuery,
  resumeUpdate,
  stopUpdate,
  unscheduleUpdate,
  type CampaignProgress,
  type CampaignResult,
  type CampaignRunState,
  type CampaignWorkflowInput,
  type ControlInput,
} from './definitions';

const NON_RETRYABLE = ['CampaignNotFound', 'NoContent'];

const store = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
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
}

/** How a stretch of planning and sending ended. */
type Interruption = 'control' | 'done';

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

  /** Validator: refuses an action the current status does not allow (a stop already under way allows nothing else). */
  const allow = (action: ControlAction) => (_input: ControlInput | undefined) => {
    const busy = control?.action === 'stop' || control?.action === 'cancel' || control?.action === 'unschedule';
    if (!canControl(action, state.status) || (busy && control?.action !== action)) {
      throw ApplicationFailure.create({
        message: `cannot ${action} a campaign that is ${state.status}${busy ? ` (a ${control!.action} is under way)` : ''}`,
        type: REFUSED.transition,
        nonRetryable: true,
        details: [state.status],
      });
    }
  };
  /** Records the request and interrupts whatever the workflow is waiting on or sending. */
  const request = (action: ControlAction, by: string | undefined) => {
    if (control?.action !== action) control = { action, by: by ?? 'temporal', at: new Date().toISOString() };
    // A stop that follows a pause still in progress reports the batches the pause found in flight.
    if (sendScope && !sendScope.consideredCancelled) {
      inFlightAtRequest = inFlight;
      aborted = 0;
      sendScope.cancel();
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
  setHandler(
    stopUpdate,
    async (req) => {
      request('stop', req.requestedBy);
      await condition(() => report !== null);
      return report!;
    },
    {
      validator: (req) => {
        if (req?.confirmation !== campaignId) {
          throw ApplicationFailure.create({
            message: `confirmation must be the campaign id ${campaignId}`,
            type: REFUSED.confirmation,
            nonRetryable: true,
          });
        }
        allow('stop')(req);
      },
    },
  );

  const enter = async (status: CampaignStatus, error?: string): Promise<void> => {
    await store.recordStatus({ campaignId, status, ...(error ? { error } : {}) });
    state.status = status;
    upsertSearchAttributes([{ key: CampaignStatusAttribute, value: status }]);
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

  /** The compensation of a stop or cancel; nothing cancels it once it has begun. */
  const compensate = (action: 'stop' | 'cancel', reason: NotSentReason): Promise<CampaignResult> =>
    CancellationScope.nonCancellable(async () => {
      const from = state.status;
      const steps: ReportStep[] = [];
      const step = (name: ReportStepName, result: string, counts?: Record<string, number>) =>
        steps.push({ step: name, at: new Date().toISOString(), result, ...(counts ? { counts } : {}) });
      if (action === 'stop') {
        step(
          'in_flight_aborted',
          `${inFlightAtRequest} batch(es) in flight: ${aborted} aborted mid-batch, ${inFlightAtRequest - aborted} ` +
            'completed before the stop reached them; every one confirmed it stopped before this step',
          { inFlight: inFlightAtRequest, aborted },
        );
        inFlightAtRequest = 0;
        aborted = 0;
        await store.releaseOrphans({ campaignId });
        const cancelled = await store.cancelAtProviders({ campaignId });
        const unsupported = cancelled.unsupported.length > 0 ? `; cannot cancel: ${cancelled.unsupported.join(', ')}` : '';
        step(
          'provider_cancellation',
          `asked providers to cancel ${cancelled.asked} message(s) they had accepted; ${cancelled.cancelled} cancelled, ` +
            `${cancelled.tooLate} already gone, ${cancelled.errors} error(s)${unsupported}`,
          { asked: cancelled.asked, cancelled: cancelled.cancelled, tooLate: cancelled.tooLate, errors: cancelled.errors },
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
      const final: CampaignStatus = action === 'stop' ? 'Stopped' : 'Cancelled';
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
      await enter(final);
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
          budget += batchSize - r.claimed;
          if (r.claimed === 0) exhausted.add(channel);
          if (state.window) state.window.used += r.claimed;
          state.tally.sent += r.sent;
          state.tally.failed += r.failed;
          state.tally.batches++;
        } catch (err) {
          if (!isCancellation(err)) {
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
    if (state.phase === 'scheduled') {
      if (!input.carried) await enter('Scheduled');
      if (!(await waitOrControl(Date.parse(input.scheduledAt ?? '') - Date.now()))) state.phase = 'planning';
    }
    if (state.phase === 'planning' && !state.startedAt) {
      const pacing = await store.loadPacing({ campaignId });
      state.throttle = pacing.throttle;
      state.endAt = pacing.endAt;
      state.startedAt = new Date().toISOString();
      await enter('Sending');
    }

    for (;;) {
      if ((await run()) === 'done') break;
      const action = control!.action;
      if (action === 'stop') return await compensate('stop', 'stopped');
      if (action === 'cancel') return await compensate('cancel', 'cancelled');
      if (action === 'unschedule') {
        await enter('Draft');
        return { status: 'Draft', tally: state.tally };
      }
      control = undefined;
      await enter('Paused');
      await condition(() => control !== undefined);
      if (control!.action === 'resume') {
        control = undefined;
        // Re-read the audience: contacts added meanwhile join; the unique delivery key keeps everyone else once.
        state.phase = 'planning';
        state.cursor = 0;
        await enter('Sending');
      }
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
      await enter('Error', message);
      return { status: 'Error', tally: state.tally, error: message };
    }
    throw err;
  }
}

function tallyOf(c: { planned: number; sent: number; failed: number; notSent: number }, batches: number) {
  return { planned: c.planned, sent: c.sent, failed: c.failed, notSent: c.notSent, batches };
}
