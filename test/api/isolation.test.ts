/**
 * Account isolation, generated from the OpenAPI document: every route with a path parameter, called by account B
 * with account A's ids (and a valid body), answers 404 and shows none of A's data; afterwards A's objects are as
 * they were. A new route is covered the moment it is added; one this test cannot call yet fails it.
 */
import request from 'supertest';
import { api, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';

let herald: TestHerald;
let keyA: string;
let keyB: string;
/** A's ids, per the resource named by the path segment before the parameter. */
const idsOfA: Record<string, string[]> = {};
/** Text only A's data holds: it must never appear in an answer to B. */
const SECRET = 'A-secret';

type Operation = { method: string; path: string; op: { parameters?: { name: string; in: string; required: boolean }[]; requestBody?: unknown } };

/** A valid body (and required query) for each route that takes one, given the id in its path. */
const VALID_INPUT: Record<string, (id: string) => { body?: object; query?: string }> = {
  'PATCH /v1/campaigns/{id}': () => ({ body: { name: 'renamed by B' } }),
  'POST /v1/campaigns/{id}/schedule': () => ({ body: { at: new Date(Date.now() + 86_400_000).toISOString() } }),
  'POST /v1/campaigns/{id}/preview': () => ({ body: { contactId: 'ca-1' } }),
  'POST /v1/campaigns/{id}/stop': (id) => ({ body: { confirmation: id } }),
  'POST /v1/campaigns/{id}/cancel': (id) => ({ body: { confirmation: id } }),
  'DELETE /v1/planned/{id}': (id) => ({ query: `confirmation=${id}` }),
  'PUT /v1/providers/{channel}': () => ({ body: { kind: 'sandbox', config: {} } }),
  'POST /v1/providers/{channel}/test': () => ({ body: { to: '+14155550123', body: 'hello' } }),
};

/**
 * Path parameters that name a slot of the caller's own account rather than an object (a channel): B acts on its
 * own settings, so the answer need not be 404, but it must show nothing of A and change nothing of A's.
 */
const OWN_SLOTS: Record<string, string> = { channel: 'sms' };

beforeAll(async () => {
  // 127.0.0.1:9 (discard) is allowed so A's webhook can point there; nothing listens.
  herald = await startHerald({ title: 'isolation', store: await openTestStore('embedded'), allowedHosts: ['127.0.0.1:9'] });
  keyA = (await newAccount(herald.store, 'A')).apiKey;
  keyB = (await newAccount(herald.store, 'B')).apiKey;
  const a = api(herald.app, keyA);
  await a
    .post('/v1/contacts', { contacts: [1, 2].map((i) => ({ id: `ca-${i}`, email: `a${i}@a-secret.example`, attributes: { first_name: SECRET } })) })
    .expect(200);
  const audience = (await a.post('/v1/audiences', { name: `${SECRET} list`, type: 'list', contactIds: ['ca-1', 'ca-2'] }).expect(201)).body.id;
  const channels = [{ channel: 'email', subject: `${SECRET} subject`, body: `Hi {{ contact.first_name }} ${SECRET}` }];
  const draft = (await a.post('/v1/campaigns', { name: `${SECRET} draft`, audienceId: audience, channels }).expect(201)).body.id;
  const scheduled = (await a.post('/v1/campaigns', { name: `${SECRET} scheduled`, audienceId: audience, channels }).expect(201)).body.id;
  const { updatedAt } = (await a.post(`/v1/campaigns/${scheduled}/schedule`, { at: '2031-01-01T09:00:00Z' }).expect(202)).body;
  // Its workflow records entering Scheduled once it runs: wait for that write, so A's snapshot holds still.
  for (let i = 0; i < 100 && (await a.get(`/v1/campaigns/${scheduled}`)).body.updatedAt === updatedAt; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await a.put('/v1/providers/sms', { kind: 'webhook', config: { url: `http://127.0.0.1:9/${SECRET}` }, secrets: { authorization: `Bearer ${SECRET}` } }).expect(200);
  const key = (await a.post('/v1/keys', { name: `${SECRET} reader`, scope: 'read' }).expect(201)).body.id;
  Object.assign(idsOfA, { contacts: ['ca-1'], audiences: [audience], campaigns: [draft, scheduled], planned: [draft, scheduled], keys: [key] });
});
afterAll(async () => {
  await herald.stop();
  await herald.store.close();
});

/** Every operation of the OpenAPI document. */
async function operations(): Promise<Operation[]> {
  const doc = (await request(herald.app).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, Operation['op']>> };
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}

/** Everything account A has, read through the API. */
async function snapshotA() {
  const a = api(herald.app, keyA);
  const paths = [
    '/v1/contacts?limit=1000', '/v1/audiences', '/v1/campaigns?includeDeleted=true', '/v1/planned', '/v1/providers',
    '/v1/keys', '/v1/account/brake', '/v1/audit?limit=1000', '/v1/events',
    ...idsOfA.campaigns!.map((id) => `/v1/campaigns/${id}`), ...idsOfA.audiences!.map((id) => `/v1/audiences/${id}`),
  ];
  const answers = await Promise.all(paths.map((p) => a.get(p)));
  return Object.fromEntries(answers.map((r, i) => [paths[i], { status: r.status, body: r.body }]));
}

test("account B gets 404 and none of A's data from every route given A's ids, and A's objects stay as they were", async () => {
  const before = await snapshotA();
  expect(JSON.stringify(before)).toContain(SECRET);
  const b = api(herald.app, keyB);
  const withParams = (await operations()).filter((o) => o.op.parameters?.some((p) => p.in === 'path'));
  expect(withParams.length).toBeGreaterThan(15);
  const seen: string[] = [];
  for (const { method, path, op } of withParams) {
    const route = `${method} ${path}`;
    const params = op.parameters!.filter((p) => p.in === 'path');
    // A route this test cannot call yet fails it, so a new route is never skipped silently.
    const needsInput = op.requestBody !== undefined || op.parameters!.some((p) => p.in === 'query' && p.required);
    if (needsInput && !VALID_INPUT[route]) throw new Error(`${route} takes input: add a valid one to VALID_INPUT`);
    const resource = path.split('/')[2]!;
    const idParam = params.find((p) => !(p.name in OWN_SLOTS));
    const ids = idParam ? idsOfA[resource] : [''];
    if (!ids) throw new Error(`${route}: no id of A for resource "${resource}": create one in beforeAll and add it to idsOfA`);
    for (const id of ids) {
      let url = path;
      for (const p of params) url = url.replace(`{${p.name}}`, encodeURIComponent(p.name in OWN_SLOTS ? OWN_SLOTS[p.name]! : id));
      const input = VALID_INPUT[route]?.(id) ?? {};
      if (input.query) url += `?${input.query}`;
      const call = b[method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete'];
      const res = await (method === 'GET' || method === 'DELETE' ? call(url) : call(url, input.body));
      seen.push(`${route} ${res.status}`);
      // The answer may echo the id B sent, and nothing else of A's.
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(SECRET);
      for (const other of Object.values(idsOfA).flat().filter((x) => x !== id)) expect({ route, leaks: text.includes(other) }).toEqual({ route, leaks: false });
      if (idParam) expect({ route, id, status: res.status }).toEqual({ route, id, status: 404 });
      else expect({ route, serverError: res.status >= 500 }).toEqual({ route, serverError: false });
    }
  }
  expect(seen.some((s) => s.startsWith('DELETE /v1/keys/{id} 404'))).toBe(true);
  expect(await snapshotA()).toEqual(before);
});

test("B's lists and reads without ids show nothing of A", async () => {
  const b = api(herald.app, keyB);
  const reads = (await operations()).filter((o) => o.method === 'GET' && !o.op.parameters?.some((p) => p.in === 'path'));
  expect(reads.length).toBeGreaterThan(8);
  const everyIdOfA = Object.values(idsOfA).flat();
  for (const { path } of reads) {
    const res = await b.get(path);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(SECRET);
    for (const id of everyIdOfA) expect({ path, leaks: text.includes(id) }).toEqual({ path, leaks: false });
  }
});
