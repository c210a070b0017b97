/**
 * Fairness between accounts on one worker: account B's eight campaigns on a provider that takes 2 s a message
 * (its batches long-lived, enough of them to hold every activity slot) do not starve account A, whose
 * 1,000-recipient campaign finishes within twice its time alone. Nothing is sent twice and the books stay exact.
 */
import { startSink, type Sink } from '../helpers/sink';
import { api, campaignEnded, draftCampaign, eventually, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';
import { campaignWorkflowId, type CampaignResult } from '../../src/workflows/definitions';

/** Few slots, so that B's batches hold all of them quickly; the assertion is the issue's (A within 2x alone). */
const WORKER_SLOTS = 8;
const B_CAMPAIGNS = 8;

let herald: TestHerald;
let slow: Sink;
let quick: Sink;

beforeAll(async () => {
  [slow, quick] = await Promise.all([startSink({ latencyMs: 2_000 }), startSink({ latencyMs: 50 })]);
  herald = await startHerald({ title: 'fairness', store: await openTestStore('postgres'), workerSlots: WORKER_SLOTS, allowedHosts: ['127.0.0.1'] });
});
afterAll(async () => {
  await herald.stop();
  await herald.store.close();
  await Promise.all([slow.close(), quick.close()]);
});

/** An account with `n` email contacts whose email provider is the webhook at `sink`, `concurrency` calls at once. */
async function accountOn(sink: Sink, concurrency: number, n: number, tag: string, on: TestHerald = herald) {
  const { apiKey } = await newAccount(on.store, tag);
  const http = api(on.app, apiKey);
  await http.put('/v1/providers/email', { kind: 'webhook', config: { url: sink.url, concurrency } }).expect(200);
  const people = Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, email: `${tag}${i}@example.com`, attributes: { [tag]: true } }));
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  const draft = (name: string) =>
    draftCampaign(on.app, apiKey, { type: 'filter', all: [{ attribute: tag, op: 'exists' }] }, { name, channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] });
  return { apiKey, http, draft };
}

/** Sends campaign `id` and waits (at most `limitMs`) until it is Finished; returns the seconds it took, or null. */
async function timeToFinish(http: ReturnType<typeof api>, id: string, limitMs: number): Promise<number | null> {
  const started = Date.now();
  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  try {
    await eventually(async () => ((await http.get(`/v1/campaigns/${id}`)).body.status === 'Finished' ? true : undefined), limitMs, 100);
  } catch {
    return null;
  }
  return (Date.now() - started) / 1000;
}

test("one account's slow provider and eight campaigns do not starve another account's campaign", async () => {
  const a = await accountOn(quick, 5, 1_000, 'a');
  const b = await accountOn(slow, 50, 1_000, 'b');

  // A alone: 1,000 messages at 50 ms each, 5 at a time (about 10 s).
  const aloneId = await a.draft('alone');
  const alone = await timeToFinish(a.http, aloneId, 60_000);
  expect(alone).not.toBeNull();

  // B: eight campaigns, two 500-message batches each, at 2 s a message: far more batches than slots, each of
  // which would hold its slot for minutes.
  const bIds: string[] = [];
  for (let i = 0; i < B_CAMPAIGNS; i++) bIds.push(await b.draft(`b${i}`));
  for (const id of bIds) await b.http.post(`/v1/campaigns/${id}/send`).expect(202);
  await eventually(async () => (new Set(slow.delivered.map((m) => m.campaignId)).size >= 4 ? true : undefined), 30_000, 50);
  await new Promise((r) => setTimeout(r, 2_000));

  const contendedId = await a.draft('beside B');
  const contended = await timeToFinish(a.http, contendedId, 2 * alone! * 1000 + 10_000);
  console.log(
    `A's 1,000 messages: ${alone!.toFixed(1)} s alone, ${contended === null ? `not finished within ${(2 * alone! + 10).toFixed(0)} s` : `${contended.toFixed(1)} s`} ` +
      `beside B's ${B_CAMPAIGNS} campaigns on a 2 s provider (${WORKER_SLOTS} worker slots; B sent ${slow.delivered.length} meanwhile)`,
  );
  expect(contended).not.toBeNull();
  expect(contended!).toBeLessThanOrEqual(2 * alone!);

  // B goes on meanwhile; a stop of each answers with exact books, and nothing of anyone was sent twice.
  expect(slow.delivered.length).toBeGreaterThan(0);
  const stops = await Promise.all(bIds.map((id) => b.http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200)));
  await new Promise((r) => setTimeout(r, 500));
  for (const [k, id] of bIds.entries()) {
    const c = (await b.http.get(`/v1/campaigns/${id}`).expect(200)).body.byChannel.email;
    expect(c).toMatchObject(stops[k]!.body.byChannel.email);
    expect(c.sent).toBe(slow.forCampaign(id).length);
    expect(c.sent + c.notSent + c.failed + c.inDoubt).toBe(1_000);
    expect(c.pending).toBe(0);
  }
  for (const id of [aloneId, contendedId]) {
    expect((await a.http.get(`/v1/campaigns/${id}`).expect(200)).body.byChannel.email).toMatchObject({ planned: 1_000, sent: 1_000, pending: 0 });
    expect(quick.forCampaign(id)).toHaveLength(1_000);
  }
  expect(quick.duplicates() + slow.duplicates()).toBe(0);
}, 180_000);

test('batches that give their slot back lose nothing and send nothing twice; their campaigns go on to the end', async () => {
  const sink = await startSink({ latencyMs: 20 });
  // Two slots, a 1 s budget: two accounts' campaigns, two lanes each, keep the worker full and turn its slots over.
  const small = await startHerald({
    title: 'fairness-yields',
    store: herald.store,
    workerSlots: 2,
    batchTimeBudgetMs: 1_000,
    sendOptions: { batchSize: 200, concurrency: 2 },
    allowedHosts: ['127.0.0.1'],
  });
  try {
    const accounts = [await accountOn(sink, 2, 600, 'ya', small), await accountOn(sink, 2, 600, 'yb', small)];
    const ids = [await accounts[0]!.draft('ya'), await accounts[1]!.draft('yb')];
    await Promise.all(ids.map((id, k) => accounts[k]!.http.post(`/v1/campaigns/${id}/send`).expect(202)));
    for (const [k, id] of ids.entries()) {
      const c = await campaignEnded(small.app, accounts[k]!.apiKey, id);
      expect(c.status).toBe('Finished');
      expect(c.byChannel.email).toMatchObject({ planned: 600, sent: 600, pending: 0, failed: 0, inDoubt: 0 });
      // Everyone exactly once at the provider.
      expect(new Set(sink.forCampaign(id).map((m) => m.contactId)).size).toBe(600);
      expect(sink.forCampaign(id)).toHaveLength(600);
      // Three leases of 200 and each lane's last, empty, batch: five batches without a yield; more were run.
      const result: CampaignResult = await small.client.workflow.getHandle(campaignWorkflowId(id)).result();
      expect(result.tally.batches).toBeGreaterThan(5);
    }
    expect(sink.duplicates() + sink.replays()).toBe(0);
  } finally {
    await small.stop();
    await sink.close();
  }
}, 120_000);
