/** Bad input never reaches a 500: deep JSON, odd cursors, broken percent-escapes, `__proto__`, oversized contacts. */
import request from 'supertest';
import type { Express } from 'express';
import type { Store } from '../../src/store/store';
import { api, newAccount, openTestStore, startApi } from '../helpers';

let store: Store;
let app: Express;
let stopApi: () => Promise<void>;
let key: string;

beforeAll(async () => {
  store = await openTestStore('embedded');
  const started = await startApi({ title: 'bad-input', store });
  app = started.app;
  stopApi = started.stop;
  key = (await newAccount(store)).apiKey;
});
afterAll(async () => {
  await stopApi();
  await store.close();
});

const deep = (depth: number, leaf: unknown = 1): string => '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth);
const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

test('JSON nested thousands deep is a 400 naming the depth, on every route with a body', async () => {
  for (const depth of [5_000, 20_000]) {
    for (const [path, body] of [
      ['/v1/contacts', `{"contacts":[{"id":"x","attributes":${deep(depth)}}]}`],
      ['/v1/audiences', `{"name":"n","type":"filter","all":${deepArray(depth)}}`],
      ['/v1/contacts', deep(depth, '\u0000')],
    ] as const) {
      const res = await request(app).post(path).set('Authorization', `Bearer ${key}`).set('content-type', 'application/json').send(body);
      expect({ path, status: res.status, message: res.body.error?.message }).toEqual({ path, status: 400, message: expect.stringMatching(/nested deeper than \d+ levels/) });
    }
  }
});

test('contact attributes: nesting bounded, `__proto__` refused by name, the size of a contact bounded', async () => {
  const http = api(app, key);
  const nested = await http.post('/v1/contacts', { contacts: [{ id: 'n', attributes: JSON.parse(deep(12)) }] });
  expect(nested.status).toBe(400);
  expect(nested.body.error.message).toMatch(/contacts\.0\.attributes: nested deeper than 8 levels/);
  const proto = await request(app)
    .post('/v1/contacts')
    .set('Authorization', `Bearer ${key}`)
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
  const http = api(app, key);
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
    const res = await request(app).get(path).set('Authorization', `Bearer ${key}`);
    expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
    expect(res.status).toBeLessThan(500);
    if (res.status === 400) expect(res.body.error.message).toMatch(/path|percent/);
  }
  const res = await request(app).get('/v1/campaigns/%E0%A4%A').set('Authorization', `Bearer ${key}`);
  expect(res.status).toBe(400);
});
