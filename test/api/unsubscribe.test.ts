/**
 * Unsubscribe links are opaque (nothing of the account or contact readable in them), expire, accept no trailing
 * junk, and are sealed with a key derived for that purpose alone (not the key that seals provider secrets).
 */
import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { Store } from '../../src/store/store';
import { seal } from '../../src/providers/secrets';
import { UNSUBSCRIBE_LIFETIME_MS, readUnsubscribeToken, unsubscribeToken } from '../../src/unsubscribe';
import { api, newAccount, openTestStore, startApi } from '../helpers';

const key = randomBytes(32);
const target = { accountId: 'acc_0123456789', contactId: 'contact-ann@example.com', channel: 'email' } as const;

test('a token shows nothing of whom it names and reads back to them', () => {
  const token = unsubscribeToken(key, target);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  const decoded = Buffer.from(token, 'base64url').toString('latin1');
  for (const part of [target.accountId, target.contactId, 'acc_', 'ann', 'email']) expect(decoded).not.toContain(part);
  expect(readUnsubscribeToken(key, token)).toEqual(target);
  // Two tokens for the same target differ (a random nonce): links cannot be matched up.
  expect(unsubscribeToken(key, target)).not.toBe(token);
});

test('a token expires; junk after it, another key, or the secrets key used directly are refused', () => {
  const issuedLongAgo = unsubscribeToken(key, target, Date.now() - UNSUBSCRIBE_LIFETIME_MS - 1_000);
  expect(readUnsubscribeToken(key, issuedLongAgo)).toBeNull();
  const token = unsubscribeToken(key, target);
  for (const junk of ['x', '.x', '.', '=', '%00', 'AAAA']) expect(readUnsubscribeToken(key, `${token}${junk}`)).toBeNull();
  expect(readUnsubscribeToken(randomBytes(32), token)).toBeNull();
  // Sealed with the secrets key itself (as provider secrets are): not a token.
  const sealedWithSecretsKey = seal([target.accountId, target.contactId, target.channel, Date.now() + 60_000], key).replace(/\./g, '');
  expect(readUnsubscribeToken(key, sealedWithSecretsKey)).toBeNull();
});

test('links from before (payload.signature) still unsubscribe, exactly as issued and never with junk', () => {
  const payload = Buffer.from(JSON.stringify([target.accountId, target.contactId, target.channel])).toString('base64url');
  const legacy = `${payload}.${createHmac('sha256', key).update(`unsubscribe:${payload}`).digest('base64url')}`;
  expect(readUnsubscribeToken(key, legacy)).toEqual(target);
  expect(readUnsubscribeToken(key, `${legacy}.junk`)).toBeNull();
  expect(readUnsubscribeToken(key, `${legacy}x`)).toBeNull();
});

describe('through the API', () => {
  let store: Store;
  let app: Express;
  let stop: () => Promise<void>;
  let secretsKey: Buffer;
  beforeAll(async () => {
    store = await openTestStore('embedded');
    ({ app, stop, secretsKey } = await startApi({ title: 'unsubscribe', store }));
  });
  afterAll(async () => {
    await stop();
    await store.close();
  });

  test('an expired or padded link is refused and unsubscribes nobody; a good one does', async () => {
    const { accountId, apiKey } = await newAccount(store);
    await api(app, apiKey).post('/v1/contacts', { contacts: [{ id: 'ann', email: 'ann@example.com' }] }).expect(200);
    const who = { accountId, contactId: 'ann', channel: 'email' } as const;
    const expired = unsubscribeToken(secretsKey, who, Date.now() - UNSUBSCRIBE_LIFETIME_MS - 1_000);
    const good = unsubscribeToken(secretsKey, who);
    const expiredAnswer = await request(app).post(`/unsubscribe/${expired}`).type('form').send('List-Unsubscribe=One-Click');
    expect(expiredAnswer.status).toBe(404);
    expect(expiredAnswer.text).toMatch(/expired/);
    await request(app).post(`/unsubscribe/${good}x`).expect(404);
    expect((await api(app, apiKey).get('/v1/contacts/ann').expect(200)).body.suppressed).toEqual([]);
    await request(app).post(`/unsubscribe/${good}`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await api(app, apiKey).get('/v1/contacts/ann').expect(200)).body.suppressed).toEqual(['email']);
  });
});
