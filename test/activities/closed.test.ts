/**
 * A send batch stops starting messages at its provider as soon as its worker sees the campaign closed (a stop's
 * fence, the account's brake), before Temporal has cancelled it: of the chunk it had handed over, only the requests
 * already on the wire arrive; the rest stays pending, for the stop to mark notSent or the resume to send.
 */
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { ClosedWatch } from '../../src/activities/closed';
import { createProviderRegistry } from '../../src/providers/registry';
import { WebhookProvider } from '../../src/providers/webhook';
import type { Store } from '../../src/store';
import { eventually, openTestStore } from '../helpers';
import { startSink, type Sink } from '../helpers/sink';

let store: Store;
let sink: Sink;
beforeAll(async () => {
  store = await openTestStore('embedded');
  // 2 requests at a time, 500 ms each: a chunk of 40 takes 10 s to drain.
  sink = await startSink({ latencyMs: 500 });
});
afterAll(async () => {
  await sink.close();
  await store.close();
});

test.each(['fence', 'brake'] as const)('a %s stops a batch mid-chunk: only the requests on the wire arrive, the rest stays pending', async (close) => {
  const { accountId } = await store.createAccount(`closed-${close}`);
  const ids = Array.from({ length: 40 }, (_, i) => `${close}${i}`);
  await store.upsertContacts(
    accountId,
    ids.map((id) => ({ id, email: `${id}@example.com`, pushTokens: [], webPushSubscriptions: [], attributes: {}, suppressed: [] })),
  );
  const audience = await store.createAudience(accountId, 'all', { type: 'list', contactIds: ids });
  const campaign = await store.createCampaign(accountId, { name: close, audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
  await store.planPage(campaign, 0, 100, new Date());

  const provider = new WebhookProvider({ url: sink.url, concurrency: 2 });
  const activities = createActivities({
    store,
    providers: createProviderRegistry(provider, { store, secretsKey: randomBytes(32), egress: { allowedHosts: [], allowHttp: false } }),
    send: { chunkSize: 40, maxAttempts: 3 },
  });
  try {
    const batch = new MockActivityEnvironment().run(activities.sendBatch, { campaignId: campaign.id, channel: 'email' as const, batchSize: 40, batchKey: 'b1' });
    await eventually(async () => (sink.forCampaign(campaign.id).length >= 4 ? true : undefined), 30_000, 5);
    const closedAt = Date.now();
    if (close === 'fence') await store.fence(campaign.id, 'stop');
    else await store.setBrake(accountId, true, 'key', new Date());

    // Never cancelled: the batch ends by itself, closed, once its requests on the wire have their outcomes, and
    // counts as taken on only what it sent.
    const result = await batch;
    const arrived = sink.forCampaign(campaign.id);
    expect(result).toEqual({ claimed: arrived.length, sent: arrived.length, failed: 0, closed: true, ...(close === 'brake' ? { braked: true } : {}) });
    expect(arrived.filter((m) => m.at > closedAt).length).toBeLessThanOrEqual(4);
    const { total } = await store.countDeliveries(campaign.id);
    expect(total).toMatchObject({ sent: arrived.length, inDoubt: 0, pending: 40 - arrived.length });
    expect(await store.isQuiet(campaign.id)).toBe(true);
  } finally {
    await provider.close();
  }
}, 60_000);

test("a fence this worker wrote stops its batches of that campaign at once, before the store is asked again", () => {
  const asked: string[][] = [];
  // The store never says closed here: only the worker's own word can abort.
  const watch = new ClosedWatch(async (ids) => (asked.push(ids), []), 60_000);
  const stopped = watch.watch('cmp_a');
  const other = watch.watch('cmp_b');
  watch.closedHere('cmp_a');
  expect(stopped.signal.aborted).toBe(true);
  expect(other.signal.aborted).toBe(false);
  expect(asked).toEqual([]);
  other.release();
});
