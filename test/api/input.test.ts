/**
 * Bad input never reaches a 500, templates cannot block the event loop, unsubscribe links cannot be read or
 * stretched: what an API caller (or a recipient) can send that the API must take apart safely.
 *
 * Deep JSON, odd cursors, broken percent-escapes, `__proto__` and oversized contacts are 400s. Templates are
 * checked at save by rendering them off the event loop for worst-case contacts (a hard stop ends a render over its
 * budget), and previews render off the event loop too. Unsubscribe links are opaque (nothing of the account or
 * contact readable in them), expire, accept no trailing junk, and are sealed with a key derived for that purpose
 * alone (not the key that seals provider secrets).
 */
import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { Store } from '../../src/store/store';
import { seal } from '../../src/providers/secrets';
import { UNSUBSCRIBE_LIFETIME_MS, readUnsubscribeToken, unsubscribeToken } from '../../src/unsubscribe';
import { api, newAccount, openTestStore, startApi } from '../helpers';

let store: Store;
let app: Express;
let stopApi: () => Promise<void>;
let secretsKey: Buffer;
/** The account of the template tests, with contacts whose attributes are large. */
let key: string;
let accountId: string;
let audienceId: string;
/** The account of the bad-input tests (nothing else in it). */
let inputKey: string;

beforeAll(async () => {
  store = await openTestStore('embedded');
  const started = await startApi({ title: 'input', store });
  app = started.app;
  stopApi = started.stop;
  secretsKey = started.secretsKey;
  inputKey = (await newAccount(store)).apiKey;
  ({ apiKey: key, accountId } = await newAccount(store));
  const items = Array.from({ length: 4_000 }, (_, i) => `item${i}`);
  await api(app, key).post('/v1/contacts', { contacts: [{ id: 'big', attributes: { items, n: 1e9, first_name: 'Ann' } }, { id: 'small', attributes: { items: ['a', 'b'], first_name: 'Bo' } }] }).expect(200);
  audienceId = (await api(app, key).post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201)).body.id;
});
afterAll(async () => {
  await stopApi();
  await store.close();
});

describe('bad input is a 400, never a 500', () => {
  const deep = (depth: number, leaf: unknown = 1): string => '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth);
  const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  test('JSON nested thousands deep is a 400 naming the depth, on every route with a body', async () => {
    for (const depth of [5_000, 20_000]) {
      for (const [path, body] of [
        ['/v1/contacts', `{"contacts":[{"id":"x","attributes":${deep(depth)}}]}`],
        ['/v1/audiences', `{"name":"n","type":"filter","all":${deepArray(depth)}}`],
        ['/v1/contacts', deep(depth, '\u0000')],
      ] as const) {
        const res = await request(app).post(path).set('Authorization', `Bearer ${inputKey}`).set('content-type', 'application/json').send(body);
        expect({ path, status: res.status, message: res.body.error?.message }).toEqual({ path, status: 400, message: expect.stringMatching(/nested deeper than \d+ levels/) });
      }
    }
  });

  test('contact attributes: nesting bounded, `__proto__` refused by name, the size of a contact bounded', async () => {
    const http = api(app, inputKey);
    const nested = await http.post('/v1/contacts', { contacts: [{ id: 'n', attributes: JSON.parse(deep(12)) }] });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toMatch(/contacts\.0\.attributes: nested deeper than 8 levels/);
    const proto = await request(app)
      .post('/v1/contacts')
      .set('Authorization', `Bearer ${inputKey}`)
      .set('content-type', 'application/json')
      .send('{"contacts":[{"id":"p","attributes":{"plan":"gold","__proto__":{"admin":true}}}]}');
    expect(proto.status).toBe(400);
    expect(proto.body.error.message).toMatch(/contacts\.0\.attributes\.__proto__: /);
    const big = await http.post('/v1/contacts', { contacts: [{ id: 'b', attributes: { notes: 'x'.repeat(70_000) } }] });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/contacts\.0\.attributes: .*64 KB/);
    expect((await http.get('/v1/contacts/p')).status).toBe(404);
    await http.post('/v1/contacts', { contacts: [{ id: 'ok', attributes: { a: { b: { c: [1, 2, { d: 'e' }] } } } }] }).expect(200);
  });

  test('a list cursor that is not one this API returned is a 400 naming `after`', async () => {
    const http = api(app, inputKey);
    const cursor = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    for (const after of [
      cursor(['not a time', 'c1']),
      cursor(['+999999-01-01T00:00:00.000Z', 'c1']),
      cursor(['99999-01-01T00:00:00.000Z', 'c1']),
      cursor(['2026-01-01T00:00:00.000Z']),
      cursor(['2026-01-01T00:00:00.000Z', 'c1', 'extra']),
      cursor(['2026-01-01T00:00:00.000Z', 'x'.repeat(1000)]),
      cursor({ at: 1 }),
      'e30',
      '%%%',
    ]) {
      const res = await http.get(`/v1/campaigns?after=${encodeURIComponent(after)}`);
      expect({ after, status: res.status, message: res.body.error?.message }).toEqual({ after, status: 400, message: expect.stringMatching(/^after: /) });
    }
    const first = await http.get('/v1/campaigns?limit=1').expect(200);
    expect(first.body.items).toEqual([]);
  });

  test('a malformed percent-escape in a path is a 400', async () => {
    for (const path of ['/v1/campaigns/%E0%A4%A', '/v1/contacts/%', '/v1/campaigns/%zz/stop', '/v1/audiences/%C0%AF']) {
      const res = await request(app).get(path).set('Authorization', `Bearer ${inputKey}`);
      expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
      expect(res.status).toBeLessThan(500);
      if (res.status === 400) expect(res.body.error.message).toMatch(/path|percent/);
    }
    const res = await request(app).get('/v1/campaigns/%E0%A4%A').set('Authorization', `Bearer ${inputKey}`);
    expect(res.status).toBe(400);
  });
});

describe('templates cannot block the event loop', () => {
  const create = (body: string) => api(app, key).post('/v1/campaigns', { name: 't', audienceId, channels: [{ channel: 'sms', body }] });

  test('loops sized by a contact attribute that would blow up are refused at save, naming the field', async () => {
    for (const body of [
      '{% for a in contact.items %}{% for b in contact.items %}{{ a }}{{ b }}{% endfor %}{% endfor %}',
      '{% for i in (1..contact.n) %}x{% endfor %}',
      '{% for a in contact.items %}{% for b in contact.items %}{% for c in contact.items %}.{% endfor %}{% endfor %}{% endfor %}',
    ]) {
      const res = await create(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error.message).toMatch(/^channels\.0\.body: template too expensive to render/);
    }
  });

  test('ordinary templates, one loop over a contact list included, are accepted and render', async () => {
    const id = (await create('Hi {{ contact.first_name }}: {% for a in contact.items limit: 3 %}{{ a }} {% endfor %}').expect(201)).body.id;
    const preview = await api(app, key).post(`/v1/campaigns/${id}/preview`, { contactId: 'small' }).expect(200);
    expect(preview.body.channels[0].body).toBe('Hi Bo: a b ');
  });

  test('a heavy template saved before the check previews with an error without blocking the event loop', async () => {
    // Saved straight into the store, as a campaign from before the check would be.
    const heavy = await store.createCampaign(accountId, {
      name: 'old',
      audienceId,
      channels: [{ channel: 'sms', body: '{% for a in contact.items %}{% for b in contact.items %}{{ a }}{{ b }}{% endfor %}{% endfor %}' }],
    } as never);
    let worstGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      worstGap = Math.max(worstGap, Date.now() - last);
      last = Date.now();
    }, 5);
    const began = Date.now();
    try {
      const preview = await api(app, key).post(`/v1/campaigns/${heavy.id}/preview`, { contactId: 'big' }).expect(200);
      expect(preview.body.channels[0]).toEqual({ channel: 'sms', error: expect.stringMatching(/^template: .*(budget|limit)/) });
    } finally {
      clearInterval(ticker);
    }
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(worstGap).toBeLessThan(150);
  });
});

describe('unsubscribe links', () => {
  const tokenKey = randomBytes(32);
  const target = { accountId: 'acc_0123456789', contactId: 'contact-ann@example.com', channel: 'email' } as const;

  test('a token shows nothing of whom it names and reads back to them', () => {
    const token = unsubscribeToken(tokenKey, target);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const decoded = Buffer.from(token, 'base64url').toString('latin1');
    for (const part of [target.accountId, target.contactId, 'acc_', 'ann', 'email']) expect(decoded).not.toContain(part);
    expect(readUnsubscribeToken(tokenKey, token)).toEqual(target);
    // Two tokens for the same target differ (a random nonce): links cannot be matched up.
    expect(unsubscribeToken(tokenKey, target)).not.toBe(token);
  });

  test('no two tokens share a nonce, across the blocks nonces are drawn in', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 3_000; i++) {
      const token = unsubscribeToken(tokenKey, target);
      nonces.add(Buffer.from(token, 'base64url').subarray(1, 13).toString('hex'));
      if (i % 1_000 === 0) expect(readUnsubscribeToken(tokenKey, token)).toEqual(target);
    }
    expect(nonces.size).toBe(3_000);
  });

  test('a token expires; junk after it, another key, or the secrets key used directly are refused', () => {
    const issuedLongAgo = unsubscribeToken(tokenKey, target, Date.now() - UNSUBSCRIBE_LIFETIME_MS - 1_000);
    expect(readUnsubscribeToken(tokenKey, issuedLongAgo)).toBeNull();
    const token = unsubscribeToken(tokenKey, target);
    for (const junk of ['x', '.x', '.', '=', '%00', 'AAAA']) expect(readUnsubscribeToken(tokenKey, `${token}${junk}`)).toBeNull();
    expect(readUnsubscribeToken(randomBytes(32), token)).toBeNull();
    // Sealed with the secrets key itself (as provider secrets are): not a token.
    const sealedWithSecretsKey = seal([target.accountId, target.contactId, target.channel, Date.now() + 60_000], tokenKey).replace(/\./g, '');
    expect(readUnsubscribeToken(tokenKey, sealedWithSecretsKey)).toBeNull();
  });

  test('links from before (payload.signature) still unsubscribe, exactly as issued and never with junk', () => {
    const payload = Buffer.from(JSON.stringify([target.accountId, target.contactId, target.channel])).toString('base64url');
    const legacy = `${payload}.${createHmac('sha256', tokenKey).update(`unsubscribe:${payload}`).digest('base64url')}`;
    expect(readUnsubscribeToken(tokenKey, legacy)).toEqual(target);
    expect(readUnsubscribeToken(tokenKey, `${legacy}.junk`)).toBeNull();
    expect(readUnsubscribeToken(tokenKey, `${legacy}x`)).toBeNull();
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
