/**
 * The campaign workflow: Herald's state machine for one campaign. It waits for the schedule, pages the
 * audience into deliveries, then sends them in batches per channel with a few batches in flight. It holds
 * counters and a cursor only; recipients live in the store.
 */
import {
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CampaignStatus, Channel } from '../domain/vocabulary';
import {
  CampaignStatusAttribute,
  DEFAULT_SEND_OPTIONS,
  progressQuery,
  type CampaignResult,
  type CampaignRunState,
  type CampaignWorkflowInput,
} from './definitions';

const NON_RETRYABLE = ['CampaignNotFound', 'NoContent'];

const store = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

const sender = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Sends one campaign. */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignResult> {
  const options = { ...DEFAULT_SEND_OPTIONS, ...input.options };
  const state: CampaignRunState = input.carried ?? {
    phase: input.scheduledAt ? 'scheduled' : 'planning',
    status: 'Draft',
    cursor: 0,
    tally: { planned: 0, sent: 0, failed: 0, notSent: 0, batches: 0 },
    generation: 0,
  };
  let inFlight = 0;
  setHandler(progressQuery, () => ({
    ...state,
    campaignId: input.campaignId,
    scheduledAt: input.scheduledAt ?? null,
    inFlightBatches: inFlight,
  }));

  const enter = async (status: CampaignStatus, error?: string): Promise<void> => {
    state.status = status;
    upsertSearchAttributes([{ key: CampaignStatusAttribute, value: status }]);
    await store.recordStatus({ campaignId: input.campaignId, status, ...(error ? { error } : {}) });
  };
  const carryOn = (): Promise<never> =>
    continueAsNew<typeof campaignWorkflow>({ ...input, carried: { ...state, generation: state.generation + 1 } });

  try {
    if (state.phase === 'scheduled') {
      if (state.status !== 'Scheduled') await enter('Scheduled');
      const wait = Date.parse(input.scheduledAt ?? '') - Date.now();
      if (wait > 0) await sleep(wait);
      state.phase = 'planning';
    }
    if (state.status !== 'Sending') await enter('Sending');

    while (state.phase === 'planning') {
      const page = await store.planAudiencePage({ campaignId: input.campaignId, cursor: state.cursor, pageSize: options.pageSize });
      state.tally.planned += page.planned;
      state.tally.notSent += page.suppressed;
      if (page.nextCursor === null) state.phase = 'sending';
      else state.cursor = page.nextCursor;
      if (workflowInfo().continueAsNewSuggested) await carryOn();
    }

    while (state.phase === 'sending') {
      const exhausted = new Set<Channel>();
      let next = 0;
      // One lane per concurrent batch; each takes the next channel with work left, round robin.
      const lane = async (): Promise<void> => {
        while (exhausted.size < input.channels.length && !workflowInfo().continueAsNewSuggested) {
          const open = input.channels.filter((c) => !exhausted.has(c));
          const channel = open[next++ % open.length]!;
          inFlight++;
          try {
            const r = await sender.sendBatch({ campaignId: input.campaignId, channel, batchSize: options.batchSize });
            if (r.claimed === 0) exhausted.add(channel);
            state.tally.sent += r.sent;
            state.tally.failed += r.failed;
            state.tally.batches++;
          } finally {
            inFlight--;
          }
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, lane));
      if (exhausted.size < input.channels.length) await carryOn();
      // Every batch has returned, so anything still `sending` was stranded: send it again before finishing.
      if ((await store.releaseOrphans({ campaignId: input.campaignId })) === 0) state.phase = 'done';
    }

    const counts = await store.countDeliveries({ campaignId: input.campaignId });
    state.tally = { ...state.tally, ...pick(counts.total) };
    await enter('Finished');
    return { status: state.status, tally: state.tally };
  } catch (err) {
    if (err instanceof ApplicationFailure || (err instanceof Error && err.cause instanceof ApplicationFailure)) {
      const message = err.cause instanceof Error ? err.cause.message : err.message;
      await enter('Error', message);
      return { status: 'Error', tally: state.tally, error: message };
    }
    throw err;
  }
}

function pick(c: { planned: number; sent: number; failed: number; notSent: number }) {
  return { planned: c.planned, sent: c.sent, failed: c.failed, notSent: c.notSent };
}
