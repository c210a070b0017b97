/**
 * An account's provider limits hold for the account, not per worker: two worker processes send one campaign to a
 * provider whose settings say 200 messages a second, and the provider (the benchmark's sink, in a process of its
 * own, so that its arrival times are not delayed by this busy one) never sees more than 200 in any one second,
 * while both workers send; and a slow provider's `concurrency` is never exceeded by the two together.
 */
import type { ChildProcess } from 'node:child_process';
import { startSinkProcess, type Child } from '../../bench/processes';
import { sinkStats } from '../../bench/sink';
import { openStore, type Store } from '../../src/store';
import { startSink, type Sink } from '../helpers/sink';
import { exited, ready, spawnWorker } from '../helpers/worker-process';
import { api, campaignEnded, createTestDatabase, draftCampaign, newAccount, startApi, temporalAddress, workflowBundlePath } from '../helpers';

const RATE = 200;
/** About ten seconds at the rate. */
const MESSAGES = 2_000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
/** The provider of the rate test: the benchmark's sink process. */
let rateSink: { child: Child; url: string };
let slowSink: Sink;
let herald: Awaited<ReturnType<typeof startApi>>;
const workers: ChildProcess[] = [];
const log: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  rateSink = await startSinkProcess();
  slowSink = await startSink({ latencyMs: 50 });
  // Small leases on several lanes, so that both workers take a share of the campaign.
  herald = await startApi({ title: 'shared-rate', store, sendOptions: { batchSize: 40, concurrency: 4 }, allowedHosts: ['127.0.0.1'] });
  const env = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporalAddress(),
    TASK_QUEUE: herald.taskQueue,
    WORKFLOW_BUNDLE: workflowBundlePath(),
    SECRETS_KEY: herald.secretsKey.toString('base64'),
    PROVIDER_ALLOWED_HOSTS: '127.0.0.1',
    // Two activities each: the campaign's four send lanes cannot all run on the worker that runs its workflow.
    WORKER_MAX_ACTIVITIES: '2',
  };
  for (let i = 0; i < 2; i++) workers.push(spawnWorker(env, log));
  await Promise.all(workers.map((w) => ready(w, log)));
}, 60_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await herald?.stop();
  await store?.close();
  await db?.drop();
  await rateSink?.child.stop();
  await slowSink?.close();
});

/** The worker identities (pid@host) that started send activities of campaign `id`. */
async function senders(id: string): Promise<Set<string>> {
  const history = await herald.client.workflow.getHandle(`campaign-${id}`).fetchHistory();
  const events = history.events ?? [];
  const sends = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch').map((e) => String(e.eventId)));
  return new Set(
    events
      .filter((e) => e.activityTaskStartedEventAttributes && sends.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)))
      .map((e) => e.activityTaskStartedEventAttributes!.identity ?? ''),
  );
}

/** Sends an SMS campaign to `n` new contacts of the account with `apiKey`; resolves with its id once it ended. */
async function sendCampaign(apiKey: string, n: number, group: string): Promise<{ id: string; counts: Record<string, number> }> {
  const http = api(herald.app, apiKey);
  const people = Array.from({ length: n }, (_, i) => ({ id: `${group}${i}`, phone: `+1${String(3_000_000_000 + i)}`, attributes: { group } }));
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  const id = await draftCampaign(herald.app, apiKey, { type: 'filter', all: [{ attribute: 'group', op: 'eq', value: group }] }, {
    channels: [{ channel: 'sms', body: 'Hi {{ contact.id }}' }],
  });
  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  const ended = await campaignEnded(herald.app, apiKey, id).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nworker output:\n${log.join('')}`);
  });
  return { id, counts: ended.counts };
}

test('two worker processes on one account never send more than its provider rate in any second, and both send', async () => {
  const { apiKey } = await newAccount(store);
  await api(herald.app, apiKey).put('/v1/providers/sms', { kind: 'webhook', config: { url: `${rateSink.url}?latencyMs=5`, ratePerSecond: RATE } }).expect(200);
  const { id, counts } = await sendCampaign(apiKey, MESSAGES, 'rate');
  expect(counts).toMatchObject({ sent: MESSAGES, failed: 0, inDoubt: 0 });

  const { duplicates, campaign } = await sinkStats(rateSink.url, id, undefined, true);
  expect(campaign!.count).toBe(MESSAGES);
  expect(duplicates).toBe(0);
  const most = campaign!.maxInAnySecond!;
  const seconds = (campaign!.last! - campaign!.first!) / 1000;
  console.log(`shared rate ${RATE}/s, 2 workers: at most ${most} arrivals in any second; ${MESSAGES} in ${seconds.toFixed(1)} s`);
  expect(most).toBeLessThanOrEqual(RATE);
  // Paced at the rate, not far below it: the limit is what is measured, not a slow campaign.
  expect(most).toBeGreaterThanOrEqual(RATE * 0.8);
  expect((await senders(id)).size).toBe(2);
}, 120_000);

test("two worker processes never hold more calls at once than the account provider's concurrency, and both send", async () => {
  const { apiKey } = await newAccount(store);
  await api(herald.app, apiKey).put('/v1/providers/sms', { kind: 'webhook', config: { url: slowSink.url, concurrency: 6 } }).expect(200);
  const { id, counts } = await sendCampaign(apiKey, 600, 'calls');
  expect(counts).toMatchObject({ sent: 600, failed: 0, inDoubt: 0 });
  expect(slowSink.forCampaign(id)).toHaveLength(600);
  console.log(`shared concurrency 6, 2 workers: at most ${slowSink.mostInFlight()} requests at once at the provider`);
  // Alone, each worker would keep 6 on the wire (12 together).
  expect(slowSink.mostInFlight()).toBeLessThanOrEqual(6);
  expect(slowSink.mostInFlight()).toBeGreaterThanOrEqual(3);
  expect((await senders(id)).size).toBe(2);
}, 120_000);
