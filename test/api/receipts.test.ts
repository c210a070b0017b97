/** The receipt routes are rate-limited per account and provider kind: one account's flood does not stop another's. */
import { randomBytes } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { receiptPath, receiptRoutes } from '../../src/api/receipts/receipts.routes';
import { seal } from '../../src/providers/secrets';
import type { Store } from '../../src/store';
import { openTestStore } from '../helpers';

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
