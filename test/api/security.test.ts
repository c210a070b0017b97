/** API security: key scopes and revocation, body size limits, the rate limit, security headers, safe errors, safe templates. */
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import type { Store } from '../../src/store/store';
import { api, contacts, newAccount, openTestStore, startApi, withinOneMinuteWindow } from '../helpers';

let store: Store;
let app: Express;
let stopApi: () => Promise<void>;
let admin: string;
let audienceId: string;

beforeAll(async () => {
  store = await openTestStore('embedded');
  const started = await startApi({ title: 'security', store });
  app = started.app;
  stopApi = started.stop;
  admin = (await newAccount(store, 'Secure')).apiKey;
  await api(app, admin).post('/v1/contacts', { contacts: contacts(2, 's') }).expect(200);
  audienceId = (await api(app, admin).post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201)).body.id;
});
afterAll(async () => {
  await stopApi();
  await store.close();
});

/** A new key of the admin's account with `scope`, made through the API. */
async function keyWith(scope: string): Promise<{ id: string; key: string }> {
  const res = await api(app, admin).post('/v1/keys', { name: `${scope} key`, scope }).expect(201);
  return { id: res.body.id, key: res.body.key };
}

describe('API keys: scopes, shown once, revocable', () => {
  test('a read key reads but cannot change anything: 403 naming the scope needed', async () => {
    const { key } = await keyWith('read');
    const reader = api(app, key);
    await reader.get('/v1/campaigns').expect(200);
    await reader.get(`/v1/audiences/${audienceId}`).expect(200);
    const refused = await reader.post('/v1/contacts', { contacts: contacts(1, 'r') });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'forbidden',
      message: 'POST /v1/contacts needs an API key with scope control; this key has scope read',
    });
    expect((await reader.get('/v1/contacts/r1')).status).toBe(404);
    expect((await reader.post('/v1/account/brake', { on: true })).status).toBe(403);
    expect((await reader.get('/v1/account/brake')).body.on).toBe(false);
  });

  test('a control key changes things but cannot manage keys', async () => {
    const { key } = await keyWith('control');
    const operator = api(app, key);
    await operator.post('/v1/contacts', { contacts: contacts(1, 'k') }).expect(200);
    const refused = await operator.post('/v1/keys', { name: 'escalate', scope: 'admin' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/needs an API key with scope admin; this key has scope control/);
    expect((await operator.get('/v1/keys')).status).toBe(403);
  });

  test('the key is shown once at creation; the list never shows a key or its hash', async () => {
    const created = await keyWith('read');
    expect(created.key).toMatch(/^hk_\w{32}$/);
    const list = await api(app, admin).get('/v1/keys').expect(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, name: 'read key', scope: 'read', createdAt: expect.any(String), revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
    expect(JSON.stringify(list.body)).not.toMatch(/hk_|[0-9a-f]{64}/);
    expect(list.body.items[0]).toMatchObject({ name: 'default', scope: 'admin' });
  });

  test('a revoked key gets 401 from the next request on; the list shows when it was revoked', async () => {
    const { id, key } = await keyWith('control');
    await api(app, key).get('/v1/campaigns').expect(200);
    const revoked = await api(app, admin).delete(`/v1/keys/${id}`).expect(200);
    expect(revoked.body).toMatchObject({ id, revokedAt: expect.any(String) });
    const after = await api(app, key).get('/v1/campaigns');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
  });

  test("a key cannot revoke itself, and another account's key is not found", async () => {
    const self = (await api(app, admin).get('/v1/keys')).body.items[0].id as string;
    const refused = await api(app, admin).delete(`/v1/keys/${self}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/cannot revoke the key making this request/);
    const other = await newAccount(store, 'Other');
    expect((await api(app, admin).delete(`/v1/keys/${other.keyId}`)).status).toBe(404);
    await api(app, other.apiKey).get('/v1/campaigns').expect(200);
  });

  test('bad key requests are 400 naming the field', async () => {
    const res = await api(app, admin).post('/v1/keys', { name: 'x', scope: 'root' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^scope:/);
  });
});

describe('request size limits', () => {
  test('an oversized body is refused with 413 naming the limit, and nothing is stored', async () => {
    const res = await api(app, admin).post('/v1/keys', { name: 'x'.repeat(300 * 1024), scope: 'read' });
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: 'payload_too_large', message: "body: larger than this route's limit of 256 KB" });
    const names = (await api(app, admin).get('/v1/keys')).body.items.map((k: { name: string }) => k.name);
    expect(names.some((n: string) => n.startsWith('xxx'))).toBe(false);
  });

  test('a 10,000-contact import (several MB) still goes through; a 25 MB one is refused at 20 MB', async () => {
    const many = contacts(10_000, 'bulk').map((c) => ({ ...c, attributes: { ...c.attributes, bio: 'x'.repeat(200) } }));
    expect(JSON.stringify({ contacts: many }).length).toBeGreaterThan(2 * 1024 * 1024);
    expect((await api(app, admin).post('/v1/contacts', { contacts: many }).expect(200)).body).toEqual({ imported: 10_000 });
    const huge = contacts(5_000, 'huge').map((c) => ({ ...c, attributes: { bio: 'x'.repeat(5_000) } }));
    const res = await api(app, admin).post('/v1/contacts', { contacts: huge });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe("body: larger than this route's limit of 20 MB");
    expect((await api(app, admin).get('/v1/contacts/huge1')).status).toBe(404);
  });

  test('an unauthenticated oversized body gets 401 before it is read', async () => {
    const res = await request(app).post('/v1/contacts').set('Content-Type', 'application/json').send('x'.repeat(1024 * 1024));
    expect(res.status).toBe(401);
  });
});

describe('rate limit per account', () => {
  test('beyond the limit an account gets 429 with Retry-After; another account is not affected', async () => {
    const limited = await startApi({ title: 'rate-limit', store });
    const app2 = createApp({
      store,
      temporal: limited.client,
      settings: { taskQueue: limited.taskQueue, namespace: 'default', temporalUiUrl: 'http://x', sendOptions: { batchSize: 1, concurrency: 1, pageSize: 1 }, secretsKey: limited.secretsKey, rateLimitPerMinute: 5 },
      log: () => undefined,
    });
    try {
      const { apiKey: first } = await newAccount(store, 'Limited');
      const { apiKey: second } = await newAccount(store, 'Other');
      await withinOneMinuteWindow();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await api(app2, first).get('/v1/campaigns')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const refused = await api(app2, first).get('/v1/campaigns');
      expect(refused.body.error.code).toBe('rate_limited');
      expect(refused.body.error.message).toMatch(/rate limit of 5 requests per minute for this account/);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await api(app2, second).get('/v1/campaigns').expect(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('security headers and safe errors', () => {
  test('responses carry security headers; the CSP allows same-origin scripts and styles only', async () => {
    const res = await api(app, admin).get('/v1/campaigns').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
  });

  test('a 500 says "internal error" and a request id: no stack, SQL or secret; the log gets the error', async () => {
    const broken = Object.create(store) as Store;
    broken.listAudiences = () => Promise.reject(new Error('relation "audiences" does not exist: SELECT * FROM audiences WHERE key_hash = \'s3cr3t\''));
    const logged: { err: unknown; requestId: string }[] = [];
    const started = await startApi({ title: 'errors', store });
    try {
      const app3 = createApp({
        store: broken,
        temporal: started.client,
        settings: { taskQueue: started.taskQueue, namespace: 'default', temporalUiUrl: 'http://x', sendOptions: { batchSize: 1, concurrency: 1, pageSize: 1 }, secretsKey: started.secretsKey },
        log: (err, { requestId }) => logged.push({ err, requestId }),
      });
      const res = await api(app3, admin).get('/v1/audiences');
      expect(res.status).toBe(500);
      const requestId = res.headers['x-request-id'];
      expect(res.body).toEqual({ error: { code: 'internal', message: `internal error (request id ${requestId})`, requestId } });
      expect(JSON.stringify(res.body)).not.toMatch(/SELECT|s3cr3t|at .*\.ts/);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.requestId).toBe(requestId);
    } finally {
      await started.stop();
    }
  });

  test('a known path asked with a method it does not have gets 405 with Allow', async () => {
    const res = await api(app, admin).put('/v1/contacts', {});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, GET');
  });
});

describe('templates cannot reach outside the message', () => {
  const create = (channels: object[]) => api(app, admin).post('/v1/campaigns', { name: 'tpl', audienceId, channels });

  test.each([
    ['include', "{% include 'package.json' %}"],
    ['render', "{% render '/etc/passwd' %}"],
    ['layout', "{% layout 'base' %}"],
  ])('the %s tag is refused with 400 naming the field', async (tag, body) => {
    const res = await create([{ channel: 'sms', body }]);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `channels.0.body: template refused: the ${tag} tag is not allowed: a message template may use only its own text and contact variables, line:1, col:1`,
    );
  });

  test('a refused tag in an edit is refused too, and the Draft keeps its content', async () => {
    const id = (await create([{ channel: 'email', subject: 'Hi', body: 'Hello' }]).expect(201)).body.id;
    const res = await api(app, admin).patch(`/v1/campaigns/${id}`, { channels: [{ channel: 'email', subject: "{% include 'x' %}", body: 'b' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^channels\.0\.subject: template refused: the include tag is not allowed/);
    expect((await api(app, admin).get(`/v1/campaigns/${id}`)).body.channels).toEqual([{ channel: 'email', subject: 'Hi', body: 'Hello' }]);
  });

  test('a template that would blow up when rendered (a loop bomb) is refused at save time', async () => {
    const bomb = '{% assign a = "xx" %}{% for i in (1..40) %}{% assign a = a | append: a %}{% endfor %}{{ a }}';
    const res = await create([{ channel: 'sms', body: bomb }]);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^channels\.0\.body: template exceeds the render limits \(time or memory\)/);
  });

  test('a template over the size limit, and one that does not parse, are refused naming the field', async () => {
    const big = await create([{ channel: 'sms', body: 'x'.repeat(100_001) }]);
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/^channels\.0\.body: Too big: expected string to have <=100000 characters/);
    const broken = await create([{ channel: 'sms', body: 'Hi {{ contact.name' }]);
    expect(broken.body.error.message).toMatch(/^channels\.0\.body: template does not parse/);
  });

  test('ordinary templates with loops, filters and conditions still work', async () => {
    const body = '{% if contact.plan == "pro" %}Pro{% endif %} {% for i in (1..3) %}{{ i }}{% endfor %} {{ contact.first_name | upcase }}';
    const id = (await create([{ channel: 'sms', body }]).expect(201)).body.id;
    const preview = await api(app, admin).post(`/v1/campaigns/${id}/preview`, { contactId: 's1' }).expect(200);
    expect(JSON.stringify(preview.body)).toContain(' 123 NAME1');
  });
});

describe('metrics', () => {
  test('without METRICS_TOKEN the API serves no metrics: they show every account\'s volumes', async () => {
    const res = await request(app).get('/metrics').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('herald_');
  });
});
