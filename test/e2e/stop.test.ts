/**
 * The emergency stop at scale and under faults, checked as an operator would: the answer's counts are exact and
 * final at once (before the unsent rows are written), nothing reaches a provider after the answer, not even from a
 * worker that was frozen mid-call and wakes up, and the records written after the answer survive a worker killed
 * while writing them: one notSent event per unsent delivery, none twice.
 */
import type { ChildProcess } from 'node:child_process';
import { openStore, type Store } from '../../src/store';
import { startSink, type Sink } from '../helpers/sink';
import { exited, ready, spawnWorker } from '../helpers/worker-process';
import {
  STORE_KINDS,
  api,
  createTestDatabase,
  eventually,
  historyLines,
  newAccount,
  notSentRecords,
  openTestStore,
  startApi,
  startHerald,
  temporalAddress,
  workflowBundlePath,
  type TestHerald,
} from '../helpers';

type Counts = { planned: number; pending: number; sent: number; notSent: number; failed: number; inDoubt: number };
type Report = { counts: Counts; completedAt: string | null; answeredAt: string; steps: { step: string; done?: number; endedAt?: string; counts?: Record<string, number> }[] };

/** `n` contacts with an email and a phone: 2n deliveries on email + SMS. */
function people(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    email: `${prefix}${i}@example.com`,
    phone: `+1${String(3_000_000_000 + i)}`,
    attributes: { group: prefix },
  }));
}

/** Imports `contacts` and creates a Draft on email + SMS for them; returns its id. */
async function draft(http: ReturnType<typeof api>, contacts: ReturnType<typeof people>): Promise<string> {
  for (let i = 0; i < contacts.length; i += 5_000) await http.post('/v1/contacts', { contacts: contacts.slice(i, i + 5_000) }).expect(200);
  const group = contacts[0]!.attributes.group;
  const audience = await http.post('/v1/audiences', { name: group, type: 'filter', all: [{ attribute: 'group', op: 'eq', value: group }] }).expect(201);
  const created = await http
    .post('/v1/campaigns', {
      name: group,
      audienceId: audience.body.id,
      channels: [
        { channel: 'email', subject: 'Hi', body: 'Hello {{ contact.id }}' },
        { channel: 'sms', body: 'Hi {{ contact.id }}' },
      ],
    })
    .expect(201);
  return created.body.id as string;
}

const total = (c: Counts) => c.sent + c.notSent + c.failed + c.inDoubt + c.pending;

describe.each(STORE_KINDS)('a stop of 50,000 deliveries (%s store)', (kind) => {
  let herald: TestHerald;

  beforeAll(async () => {
    herald = await startHerald({ title: `big-stop-${kind}`, store: await openTestStore(kind), sandbox: { latencyMs: 5 } });
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  test('answers with exact, final counts before any notSent event is written; every read shows them at once; the events follow, one per unsent delivery', async () => {
    const { apiKey, accountId } = await newAccount(herald.store);
    const http = api(herald.app, apiKey);
    const id = await draft(http, people(25_000, `big${kind}`));
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 2_000 ? true : undefined), 120_000, 10);

    const res = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
    const answer = res.body as Report;
    const answeredAt = Date.now();
    // The answer comes before the compensation: its only step is the in-flight abort, and it is not complete.
    expect(answer.steps.map((s) => s.step)).toEqual(['in_flight_aborted']);
    expect(answer.completedAt).toBeNull();
    expect(answer.counts).toMatchObject({ planned: 50_000, pending: 0 });
    expect(total(answer.counts)).toBe(50_000);
    expect(answer.counts.notSent).toBeGreaterThan(20_000);
    // Every read after the answer shows the final numbers: the campaign, its channels, its deliveries by state.
    const campaign = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(campaign.counts).toMatchObject(answer.counts);
    expect(campaign.status).toBe('Stopped');
    const unsent = (await http.get(`/v1/campaigns/${id}/deliveries?state=notSent&limit=5`).expect(200)).body.items;
    expect(unsent.map((d: { state: string; reason: string }) => `${d.state}(${d.reason})`)).toEqual(Array(5).fill('notSent(stopped)'));
    expect((await http.get(`/v1/campaigns/${id}/deliveries?state=pending`).expect(200)).body.items).toEqual([]);

    const report = await eventually(async () => {
      const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body as Report;
      return r.completedAt ? r : undefined;
    }, 120_000);
    expect(herald.sandbox.forCampaign(id).filter((m) => m.at > answeredAt)).toEqual([]);
    expect(report.counts).toEqual(answer.counts);
    expect(herald.sandbox.forCampaign(id)).toHaveLength(answer.counts.sent);
    const written = report.steps.find((s) => s.step === 'not_sent_written')!;
    expect(written).toMatchObject({ done: answer.counts.notSent, endedAt: expect.any(String) });
    const records = await notSentRecords(herald.store, accountId, id);
    expect(records.deliveries).toHaveLength(answer.counts.notSent);
    expect(records.events).toEqual(records.deliveries);
  }, 240_000);
});

describe('stops with worker processes in trouble (postgres store)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let sink: Sink;
  let slowSink: Sink;
  let herald: Awaited<ReturnType<typeof startApi>>;
  const workers: ChildProcess[] = [];
  const log: string[] = [];
  const env = (url: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporalAddress(),
    TASK_QUEUE: herald.taskQueue,
    WEBHOOK_URL: url,
    WORKFLOW_BUNDLE: workflowBundlePath(),
    ...extra,
  });
  /**
   * For a wait that failed: the error again, with what explains it: the campaign's report, the workers' output and
   * its workflow's history (see historyLines).
   */
  const explain = (apiKey: string, id: string) => async (err: unknown): Promise<never> => {
    const report = (await api(herald.app, apiKey).get(`/v1/campaigns/${id}/report`)).body as unknown;
    const history = await historyLines(herald.client, id);
    throw new Error(`${(err as Error).message}\nreport: ${JSON.stringify(report)}\nworker output:\n${log.join('').slice(-4000)}\nhistory:\n${history}`);
  };
  /** Ends every worker process a test left, so the next test's workers alone serve the task queue. */
  const killAll = async () => {
    for (const w of workers) {
      w.kill('SIGCONT');
      w.kill('SIGKILL');
    }
    await Promise.all(workers.map(exited));
  };
  const start = async (e: Record<string, string>) => {
    const w = spawnWorker(e, log);
    workers.push(w);
    await ready(w, log);
    return w;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore({ databaseUrl: db.url });
    sink = await startSink({ latencyMs: 5 });
    slowSink = await startSink({ latencyMs: 3_000 });
    herald = await startApi({ title: 'stop-processes', store, sendOptions: { batchSize: 200, concurrency: 2 } });
  });
  beforeEach(killAll);
  afterAll(async () => {
    await killAll();
    await herald.stop();
    await store.close();
    await db.drop();
    await sink.close();
    await slowSink.close();
  });

  test('a worker killed while the notSent events are written: after its restart, one event per unsent delivery, none twice', async () => {
    const { apiKey, accountId } = await newAccount(store);
    const http = api(herald.app, apiKey);
    const id = await draft(http, people(25_000, 'killed'));
    // Small statements, so that the kill lands between two of them.
    const workerEnv = env(sink.url, { NOT_SENT_CHUNK: '200' });
    const first = await start(workerEnv);
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (sink.forCampaign(id).length >= 1_000 ? true : undefined), 120_000, 10);
    const answer = (await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200)).body as Report;
    expect(total(answer.counts)).toBe(50_000);

    const writing = await eventually(async () => {
      const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body as Report;
      const step = r.steps.find((s) => s.step === 'not_sent_written');
      return step && (step.done ?? 0) > 0 ? step : undefined;
    }, 60_000, 5);
    first.kill('SIGKILL');
    await exited(first);
    expect(writing.endedAt).toBeUndefined();

    await start(workerEnv);
    const report = await eventually(async () => {
      const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body as Report;
      return r.completedAt ? r : undefined;
    }, 120_000).catch(explain(apiKey, id));
    expect(report.counts).toEqual(answer.counts);
    // The kill cut a workflow task short: the new worker took the writing over.
    const history = await herald.client.workflow.getHandle(`campaign-${id}`).fetchHistory();
    expect((history.events ?? []).some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
    const records = await notSentRecords(store, accountId, id);
    expect(records.deliveries).toHaveLength(answer.counts.notSent);
    expect(records.events).toEqual(records.deliveries);
    expect(new Set(records.events).size).toBe(records.events.length);
    expect(sink.forCampaign(id)).toHaveLength(answer.counts.sent);
    expect(sink.duplicates()).toBe(0);
  }, 240_000);

  test('behind a slow provider a stop waits only for the requests on the wire: what was handed over and not started stays unsent', async () => {
    const { apiKey } = await newAccount(store);
    const http = api(herald.app, apiKey);
    const id = await draft(http, people(1_000, 'wire'));
    // 4 requests at a time, 1 s each: the chunks of 50 handed over drain at 4 a second.
    const provider = await startSink({ latencyMs: 1_000 });
    try {
      await start(env(provider.url, { WEBHOOK_CONCURRENCY: '4' }));
      await http.post(`/v1/campaigns/${id}/send`).expect(202);
      await eventually(async () => (provider.forCampaign(id).length >= 8 ? true : undefined), 60_000, 10);
      const requestedAt = Date.now();
      const answer = (await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200)).body as Report;
      // Only requests that started before the worker saw the fence went out: at most a round of the 4 slots.
      const late = provider.forCampaign(id).filter((m) => m.at > requestedAt);
      expect(late.length).toBeLessThanOrEqual(8);
      // Every request on the wire ended before the answer, its outcome recorded; the rest of the chunks is notSent.
      expect(answer.counts).toMatchObject({ sent: provider.forCampaign(id).length, inDoubt: 0, pending: 0 });
      expect(total(answer.counts)).toBe(2_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(provider.forCampaign(id)).toHaveLength(answer.counts.sent);
    } finally {
      await provider.close();
    }
  }, 120_000);

  test('a stop while the worker is frozen with messages on the wire: those are inDoubt in the answer, and nothing more leaves when it wakes', async () => {
    const { apiKey } = await newAccount(store);
    const http = api(herald.app, apiKey);
    const id = await draft(http, people(2_000, 'frozen'));
    const worker = await start(env(slowSink.url));
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    // The provider holds each request 3 s: once it has some, they are on the wire. A second worker runs the
    // workflow while the first one is frozen.
    await eventually(async () => (slowSink.forCampaign(id).length >= 100 ? true : undefined), 60_000, 10);
    await start(env(slowSink.url));
    worker.kill('SIGSTOP');

    // The answer waits for the frozen worker's batches to time out, then counts what it had handed over as inDoubt.
    const answer = (await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200)).body as Report;
    const answeredAt = Date.now();
    // Everything the provider has is in the books: sent (answered) or inDoubt (the frozen worker's calls).
    expect(answer.counts.inDoubt).toBeGreaterThan(0);
    expect(slowSink.forCampaign(id).length).toBeLessThanOrEqual(answer.counts.sent + answer.counts.inDoubt);
    expect(total(answer.counts)).toBe(4_000);
    expect(answer.steps[0]!.counts).toMatchObject({ inDoubt: answer.counts.inDoubt });
    const doubt = (await http.get(`/v1/campaigns/${id}/deliveries?state=inDoubt&limit=1`).expect(200)).body.items;
    expect(doubt[0]).toMatchObject({ state: 'inDoubt', handedAt: expect.any(String) });

    // It wakes up: its calls end, and it sends nothing more.
    worker.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 5_000));
    expect(slowSink.forCampaign(id).filter((m) => m.at > answeredAt)).toEqual([]);
    const report = await eventually(async () => {
      const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body as Report;
      return r.completedAt ? r : undefined;
    }).catch(explain(apiKey, id));
    const c = (await http.get(`/v1/campaigns/${id}`).expect(200)).body.counts as Counts;
    expect(total(c)).toBe(4_000);
    expect(c.pending).toBe(0);
    // A late answer of a call in doubt may still be recorded (inDoubt -> sent); nothing else moved.
    const delivered = slowSink.forCampaign(id).length;
    expect(delivered).toBeGreaterThanOrEqual(c.sent);
    expect(delivered).toBeLessThanOrEqual(c.sent + c.inDoubt);
    expect(c.notSent).toBe(answer.counts.notSent);
    expect(report.counts.sent + report.counts.inDoubt).toBe(c.sent + c.inDoubt);
  }, 120_000);
});
