/**
 * An account's provider rate holds for the account, not per worker: two worker processes send one campaign to a
 * provider whose settings say 200 messages a second, and the provider (a local sink recording arrival times)
 * never sees more than 200 in any one second, while both workers send.
 */
import type { ChildProcess } from 'node:child_process';
import { maxInAnySecond } from '../../bench/sink';
import { openStore, type Store } from '../../src/store';
import { startSink, type Sink } from '../helpers/sink';
import { exited, ready, spawnWorker } from '../helpers/worker-process';
import { api, campaignEnded, createTestDatabase, draftCampaign, newAccount, startApi, temporalAddress, workflowBundlePath } from '../helpers';

const RATE = 200;
/** About ten seconds at the rate. */
const MESSAGES = 2_000;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: Store;
let sink: Sink;
let herald: Awaited<ReturnType<typeof startApi>>;
const workers: ChildProcess[] = [];
const log: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  sink = await startSink({ latencyMs: 5 });
  // Small leases on several lanes, so that both workers take a share of the campaign.
  herald = await startApi({ title: 'shared-rate', store, sendOptions: { batchSize: 40, concurrency: 4 }, allowedHosts: ['127.0.0.1'] });
  const env = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporalAddress(),
    TASK_QUEUE: herald.taskQueue,
    WORKFLOW_BUNDLE: workflowBundlePath(),
    SECRETS_KEY: herald.secretsKey.toString('base64'),
    PROVIDER_ALLOWED_HOSTS: '127.0.0.1',
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
  await sink?.close();
});

test('two worker processes on one account never send more than its provider rate in any second, and both send', async () => {
  const { apiKey } = await newAccount(store);
  const http = api(herald.app, apiKey);
  await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: sink.url, ratePerSecond: RATE, concurrency: 20 } }).expect(200);
  const people = Array.from({ length: MESSAGES }, (_, i) => ({ id: `r${i}`, phone: `+1${String(3_000_000_000 + i)}`, attributes: { group: 'rate' } }));
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  const id = await draftCampaign(herald.app, apiKey, { type: 'filter', all: [{ attribute: 'group', op: 'eq', value: 'rate' }] }, {
    channels: [{ channel: 'sms', body: 'Hi {{ contact.id }}' }],
  });
  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  const ended = await campaignEnded(herald.app, apiKey, id).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\nworker output:\n${log.join('')}`);
  });
  expect(ended.counts).toMatchObject({ sent: MESSAGES, failed: 0, inDoubt: 0 });

  const arrivals = sink.forCampaign(id).map((r) => r.at);
  expect(arrivals).toHaveLength(MESSAGES);
  expect(sink.duplicates()).toBe(0);
  const most = maxInAnySecond(arrivals);
  const seconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
  console.log(`shared rate ${RATE}/s, 2 workers: at most ${most} arrivals in any second; ${MESSAGES} in ${seconds.toFixed(1)} s`);
  expect(most).toBeLessThanOrEqual(RATE);
  // Paced at the rate, not far below it: the limit is what is measured, not a slow campaign.
  expect(most).toBeGreaterThanOrEqual(RATE * 0.8);

  // Both processes sent: their identities (pid@host) both started send activities of the campaign.
  const history = await herald.client.workflow.getHandle(`campaign-${id}`).fetchHistory();
  const events = history.events ?? [];
  const sendScheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendBatch').map((e) => String(e.eventId)),
  );
  const senders = new Set(
    events
      .filter((e) => e.activityTaskStartedEventAttributes && sendScheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)))
      .map((e) => e.activityTaskStartedEventAttributes!.identity),
  );
  expect(senders.size).toBe(2);
}, 120_000);
