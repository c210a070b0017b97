/**
 * The receipt routes are rate-limited per account and provider kind: one account's flood does not stop another's;
 * receipts of concurrent requests are stored by one statement; and a Mailgun signature token is used once across API
 * processes sharing the store.
 */
import { createHmac, randomBytes } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { receiptPath, receiptRoutes } from '../../src/api/receipts/receipts.routes';
import { seal } from '../../src/providers/secrets';
import { ReceiptBatcher } from '../../src/receipts/batcher';
import { MAILGUN_SIGNATURE_MAX_AGE_MS } from '../../src/receipts/mailgun';
import { openStore, type Store } from '../../src/store';
import { api, createTestDatabase, openTestStore } from '../helpers';

let store: Store;
beforeAll(async () => {
  store = await openTestStore('embedded');
});
afterAll(() => store.close());

test("a receipt route beyond its rate gets 429 while another account's route still answers", async () => {
  const secretsKey = randomBytes(32);
  const app = express().use(receiptRoutes({ store, secretsKey, publicUrl: 'http://herald.test', logger: pino({ level: 'silent' }), perMinute: 3 }));
  const password = 'w'.repeat(20);
  const routeOf = async () => {
    const { accountId } = await store.createAccount('acme');
    await store.putProviderSettings(accountId, {
      channel: 'email',
      kind: 'postmark',
      config: { baseUrl: 'http://127.0.0.1:1', from: 'news@acme.test' },
      sealedSecrets: seal({ serverToken: 'server-token-1', webhookPassword: password }, secretsKey),
    });
    return receiptPath('postmark', await store.receipts.endpointToken(accountId, 'postmark'));
  };
  const [a, b] = [await routeOf(), await routeOf()];
  const auth = { authorization: `Basic ${Buffer.from(`herald:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const hook = { RecordType: 'Delivery', MessageID: 'unknown-message', DeliveredAt: new Date().toISOString() };
  for (let i = 0; i < 3; i++) await request(app).post(a).set(auth).send(hook).expect(200, { ok: true });
  const limited = await request(app).post(a).set(auth).send(hook).expect(429);
  expect(limited.body.error.code).toBe('rate_limited');
  await request(app).post(b).set(auth).send(hook).expect(200, { ok: true });
  // An unknown token is not found, before any work on its body.
  await request(app).post(receiptPath('postmark', 'x'.repeat(32))).set(auth).send(hook).expect(404);
});

test('one-event receipt requests arriving together are stored by one statement, a replay among them counted once', async () => {
  const secretsKey = randomBytes(32);
  const app = express().use(receiptRoutes({ store, secretsKey, publicUrl: 'http://herald.test', logger: pino({ level: 'silent' }) }));
  const password = 'p'.repeat(20);
  const { accountId } = await store.createAccount('batch');
  await store.putProviderSettings(accountId, {
    channel: 'email',
    kind: 'postmark',
    config: { baseUrl: 'http://127.0.0.1:1', from: 'news@acme.test' },
    sealedSecrets: seal({ serverToken: 'server-token-1', webhookPassword: password }, secretsKey),
  });
  const route = receiptPath('postmark', await store.receipts.endpointToken(accountId, 'postmark'));
  const auth = { authorization: `Basic ${Buffer.from(`herald:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const hook = (i: number) => ({ RecordType: 'Delivery', MessageID: `batched-${i}`, DeliveredAt: new Date().toISOString() });
  const ingest = jest.spyOn(store.receipts, 'ingest');
  try {
    // supertest opens a server per request: start them all, then let them arrive together.
    const requests = [...Array.from({ length: 30 }, (_, i) => hook(i)), hook(0)].map((h) => request(app).post(route).set(auth).send(h));
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status)).toEqual(Array(31).fill(200));
    const results = await Promise.all(ingest.mock.results.map((r) => r.value as ReturnType<Store['receipts']['ingest']>));
    expect(ingest.mock.calls.map((c) => c[2].length).reduce((a, b) => a + b, 0)).toBe(31);
    expect(ingest.mock.calls.length).toBeLessThan(31);
    expect(results.reduce((n, r) => n + r.received, 0)).toBe(30);
  } finally {
    ingest.mockRestore();
  }
});

test('a flood of one-event requests: its route is looked up once, at most two statements store it, a password saved since counts at once', async () => {
  const secretsKey = randomBytes(32);
  const app = express().use(receiptRoutes({ store, secretsKey, publicUrl: 'http://herald.test', logger: pino({ level: 'silent' }) }));
  const { accountId } = await store.createAccount('flood');
  const settings = (password: string) =>
    store.putProviderSettings(accountId, {
      channel: 'email',
      kind: 'postmark',
      config: { baseUrl: 'http://127.0.0.1:1', from: 'news@acme.test' },
      sealedSecrets: seal({ serverToken: 'server-token-1', webhookPassword: password }, secretsKey),
    });
  await settings('a'.repeat(20));
  const route = receiptPath('postmark', await store.receipts.endpointToken(accountId, 'postmark'));
  const auth = (password: string) => ({ authorization: `Basic ${Buffer.from(`herald:${password}`).toString('base64')}`, 'content-type': 'application/json' });
  const hook = (i: number) => ({ RecordType: 'Delivery', MessageID: `flood-${i}`, DeliveredAt: new Date().toISOString() });
  const lookups = jest.spyOn(store.receipts, 'accountOfEndpoint');
  const ingest = store.receipts.ingest.bind(store.receipts);
  let inFlight = 0;
  let most = 0;
  const statements = jest.spyOn(store.receipts, 'ingest').mockImplementation(async (...args) => {
    most = Math.max(most, ++inFlight);
    try {
      await new Promise((r) => setTimeout(r, 30));
      return await ingest(...args);
    } finally {
      inFlight--;
    }
  });
  try {
    // Six waves 10 ms apart, each its own batch while the statements of the ones before still run (30 ms each).
    const pending: Promise<request.Response>[] = [];
    for (let wave = 0; wave < 6; wave++) {
      for (let i = 0; i < 10; i++) pending.push(request(app).post(route).set(auth('a'.repeat(20))).send(hook(wave * 10 + i)).then((r) => r));
      await new Promise((r) => setTimeout(r, 10));
    }
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(200));
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(most).toBeLessThanOrEqual(2);
    expect(statements.mock.calls.map((c) => c[2].length).reduce((a, b) => a + b, 0)).toBe(60);
    // A new password takes effect for the next request, not after the route's time in memory.
    await settings('b'.repeat(20));
    await request(app).post(route).set(auth('b'.repeat(20))).send(hook(60)).expect(200, { ok: true });
    await request(app).post(route).set(auth('a'.repeat(20))).send(hook(61)).expect(401);
  } finally {
    lookups.mockRestore();
    statements.mockRestore();
  }
});

test("one account's flood of receipts does not hold another's behind it", async () => {
  const order: string[] = [];
  const batcher = new ReceiptBatcher(
    async (accountId, _kind, receipts) => {
      order.push(accountId);
      await new Promise((r) => setTimeout(r, 20));
      return { received: receipts.length, duplicates: 0, matched: 0 };
    },
    pino({ level: 'silent' }),
    { windowMs: 1, maxReceipts: 2, maxInFlight: 1 },
  );
  const receipt = (i: number) => ({ eventId: `e${i}`, channel: 'sms' as const, providerMessageId: `m${i}`, outcome: 'delivered' as const, at: new Date() });
  // Account a's four full batches wait for the one slot; b's batch comes after them and is stored second.
  const stored = [1, 2, 3, 4].map((i) => batcher.add('a', 'twilio', [receipt(2 * i), receipt(2 * i + 1)]));
  stored.push(batcher.add('b', 'twilio', [receipt(0)]));
  const results = await Promise.all(stored);
  expect(results.map((r) => r.received)).toEqual([2, 2, 2, 2, 1]);
  expect(order).toEqual(['a', 'b', 'a', 'a', 'a']);
});

test('API_ROUTES splits provider traffic from the API: a receipts process takes only receipts, a control process gives out its URL', async () => {
  const secretsKey = randomBytes(32);
  const appOf = (routes: 'control' | 'receipts') =>
    createApp({
      store,
      temporal: {} as never,
      settings: {
        taskQueue: 'q', namespace: 'default', temporalUiUrl: 'http://x', sendOptions: { batchSize: 1, concurrency: 1, pageSize: 1 }, secretsKey,
        publicUrl: 'http://api.herald.test', receiptsUrl: 'http://receipts.herald.test', routes,
      },
      log: () => undefined,
    });
  const [control, receipts] = [appOf('control'), appOf('receipts')];
  const { accountId, apiKey } = await store.createAccount('split');
  const password = 's'.repeat(20);
  await api(control, apiKey)
    .put('/v1/providers/email', { kind: 'postmark', config: { baseUrl: 'http://127.0.0.1:1', from: 'news@acme.test' }, secrets: { serverToken: 'server-token-1', webhookPassword: password } })
    .expect(200);
  const listed = (await api(control, apiKey).get('/v1/providers').expect(200)).body as { items?: { receiptUrl?: string }[] } | { receiptUrl?: string }[];
  const receiptUrl = (Array.isArray(listed) ? listed : (listed.items ?? []))[0]?.receiptUrl;
  expect(receiptUrl).toBe(`http://receipts.herald.test${receiptPath('postmark', await store.receipts.endpointToken(accountId, 'postmark'))}`);
  const path = new URL(receiptUrl!).pathname;
  const auth = { authorization: `Basic ${Buffer.from(`herald:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const hook = { RecordType: 'Delivery', MessageID: 'split-1', DeliveredAt: new Date().toISOString() };
  await request(receipts).post(path).set(auth).send(hook).expect(200, { ok: true });
  // The control process has no receipt route: the path falls to the API, which wants an API key.
  await request(control).post(path).set(auth).send(hook).expect(401);
  await api(receipts, apiKey).get('/v1/campaigns').expect(404);
  await request(receipts).get('/health').expect(200);
});

test('two API processes on one store refuse a Mailgun token a second event came with, and forget tokens too old to verify', async () => {
  const db = await createTestDatabase();
  // Two API instances, each with its own connection to the same PostgreSQL database, as two processes run them.
  const [one, two] = [await openStore({ databaseUrl: db.url }), await openStore({ databaseUrl: db.url })];
  try {
    const secretsKey = randomBytes(32);
    const signingKey = 'k'.repeat(32);
    const appOf = (s: Store) => express().use(receiptRoutes({ store: s, secretsKey, publicUrl: 'http://herald.test', logger: pino({ level: 'silent' }) }));
    const [a, b] = [appOf(one), appOf(two)];
    const { accountId } = await one.createAccount('acme');
    await one.putProviderSettings(accountId, {
      channel: 'email',
      kind: 'mailgun',
      config: { baseUrl: 'http://127.0.0.1:1', domain: 'mg.acme.test', from: 'news@acme.test' },
      sealedSecrets: seal({ apiKey: 'key-1', webhookSigningKey: signingKey }, secretsKey),
    });
    const route = receiptPath('mailgun', await one.receipts.endpointToken(accountId, 'mailgun'));
    const signature = (timestamp = String(Math.floor(Date.now() / 1000)), token = randomBytes(25).toString('hex')) => ({
      timestamp,
      token,
      signature: createHmac('sha256', signingKey).update(timestamp + token).digest('hex'),
    });
    const hook = (sig: ReturnType<typeof signature>, id: string, event = 'delivered') => ({
      signature: sig,
      'event-data': { id, event, timestamp: Date.now() / 1000, message: { headers: { 'message-id': 'unknown@mg.acme.test' } } },
    });
    const sig = signature();
    await request(a).post(route).send(hook(sig, 'ev-1')).expect(200, { ok: true });
    // The binding is in the store: the other process's connection sees it.
    expect(await two.receipts.bindToken(accountId, 'mailgun', sig.token, 'ev-9', new Date())).toBe(false);
    // The same event again through the other process is a replay, accepted (and counted once by its event id).
    await request(b).post(route).send(hook(sig, 'ev-1')).expect(200, { ok: true });
    // The captured signature with another event is refused by the other process, and by the first.
    const forged = await request(b).post(route).send(hook(sig, 'ev-2', 'complained')).expect(401);
    expect(forged.body.error.message).toMatch(/token already used/);
    await request(a).post(route).send(hook(sig, 'ev-3', 'complained')).expect(401);
    // Both processes at once with one fresh token and two events: exactly one is accepted.
    const raced = signature();
    const statuses = (await Promise.all([request(a).post(route).send(hook(raced, 'ev-4')), request(b).post(route).send(hook(raced, 'ev-5'))])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 401]);
    // A signature older than the accepted age is refused by its timestamp, so its token can be forgotten.
    const old = signature(String(Math.floor((Date.now() - MAILGUN_SIGNATURE_MAX_AGE_MS) / 1000) - 60));
    await request(a).post(route).send(hook(old, 'ev-6')).expect(401);
    expect(await two.receipts.expireTokens(new Date(Date.now() + 1000))).toBe(2);
    expect(await one.receipts.bindToken(accountId, 'mailgun', sig.token, 'ev-2', new Date())).toBe(true);
  } finally {
    await Promise.all([one.close(), two.close()]);
    await db.drop();
  }
});
