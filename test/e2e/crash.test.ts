/**
 * A worker process killed with SIGKILL in the middle of a send: a new one finishes the campaign, every contact
 * receives it exactly once, and nothing is lost. The workers are real `npm run worker` processes (src/worker.ts)
 * on PostgreSQL, sending through the webhook provider to a local sink that counts what it receives.
 */
import type { ChildProcess } from 'node:child_process';
import { openStore, type Store } from '../../src/store';
import { startSink, type Sink } from '../helpers/sink';
import { exited, spawnWorker } from '../helpers/worker-process';
import {
  api,
  campaignEnded,
  createTestDatabase,
  eventually,
  newAccount,
  startApi,
  temporalAddress,
  NO_RECEIPTS,
  workflowBundlePath,
} from '../helpers';

describe('a worker killed mid-send', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let sink: Sink;
  let herald: Awaited<ReturnType<typeof startApi>>;
  const workers: ChildProcess[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore({ databaseUrl: db.url });
    sink = await startSink({ latencyMs: 100 });
    herald = await startApi({ title: 'crash', store, sendOptions: { batchSize: 250, concurrency: 4 } });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map(exited));
    await herald.stop();
    await store.close();
    await db.drop();
    await sink.close();
  });

  test('SIGKILL in the middle of a send: a new worker finishes it, every contact sent exactly once, nothing lost', async () => {
    const env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporalAddress(),
      TASK_QUEUE: herald.taskQueue,
      WEBHOOK_URL: sink.url,
      WORKFLOW_BUNDLE: workflowBundlePath(),
      CHUNK_SIZE: '50',
    };
    const { apiKey } = await newAccount(store);
    const http = api(herald.app, apiKey);
    const people = Array.from({ length: 4_000 }, (_, i) => ({ id: `k${i}`, email: `k${i}@example.com`, attributes: { crash: true } }));
    await http.post('/v1/contacts', { contacts: people }).expect(200);
    const audience = await http.post('/v1/audiences', { name: 'all', type: 'filter', all: [{ attribute: 'crash', op: 'exists' }] }).expect(201);
    const campaign = await http
      .post('/v1/campaigns', { name: 'crash', audienceId: audience.body.id, channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] })
      .expect(201);
    const id = campaign.body.id as string;

    const first = spawnWorker(env, log);
    workers.push(first);
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (sink.forCampaign(id).length >= 800 ? true : undefined), 60_000, 10);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = sink.forCampaign(id).length;
    expect(atKill).toBeLessThan(4_000);

    workers.push(spawnWorker(env, log));
    const done = await campaignEnded(herald.app, apiKey, id).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nworker output:\n${log.join('')}`);
    });

    expect(done.status).toBe('Finished');
    expect(done.counts).toEqual({ planned: 4_000, pending: 0, sent: 4_000, notSent: 0, failed: 0, inDoubt: 0, ...NO_RECEIPTS });
    const received = sink.forCampaign(id);
    expect(received).toHaveLength(4_000);
    expect(new Set(received.map((r) => r.contactId)).size).toBe(4_000);
    expect(sink.duplicates()).toBe(0);
    console.log(
      `SIGKILL after ${atKill} of 4000 delivered; the new worker resent ${sink.replays()} message(s) of the batches ` +
        'in flight, which the sink recognised by their idempotency key and did not deliver again',
    );
  });
});
