/** The REST API: bad input gets 400 naming the field and changes nothing; accounts never see each other. */
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { heraldClient } from '../../src/client';
import { api, contacts, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';

let herald: TestHerald;
let keyA: string;
let keyB: string;
let audienceId: string;
let campaignId: string;

beforeAll(async () => {
  herald = await startHerald({ title: 'api', store: await openTestStore('embedded') });
  keyA = (await newAccount(herald.store, 'A')).apiKey;
  keyB = (await newAccount(herald.store, 'B')).apiKey;
  const a = api(herald.app, keyA);
  await a.post('/v1/contacts', { contacts: contacts(3, 'a') }).expect(200);
  audienceId = (await a.post('/v1/audiences', { name: 'A list', type: 'list', contactIds: ['a1', 'a2'] }).expect(201)).body.id;
  campaignId = (
    await a
      .post('/v1/campaigns', { name: 'A campaign', audienceId, channels: [{ channel: 'email', subject: 'S', body: 'B' }] })
      .expect(201)
  ).body.id;
});
afterAll(async () => {
  await herald.stop();
  await herald.store.close();
});

/** Everything account A has, to show a refused request changed nothing. */
async function snapshotA() {
  const a = api(herald.app, keyA);
  const [c, aud, cmp, audit, providers, brake] = await Promise.all([
    a.get('/v1/contacts?limit=1000'),
    a.get('/v1/audiences'),
    a.get('/v1/campaigns?limit=1000'),
    a.get('/v1/audit?limit=1000'),
    a.get('/v1/providers'),
    a.get('/v1/account/brake'),
  ]);
  return { contacts: c.body, audiences: aud.body, campaigns: cmp.body, audit: audit.body.items.length, providers: providers.body, brake: brake.body };
}

describe('bad input gets 400 with the field and the reason, and changes nothing', () => {
  const cases: [string, 'get' | 'post' | 'patch' | 'put' | 'delete', () => string, object | undefined, RegExp][] = [
    ['contacts: email not an email', 'post', () => '/v1/contacts', { contacts: [{ id: 'z', email: 'nope' }] }, /contacts\.0\.email/],
    ['contacts: phone not E.164', 'post', () => '/v1/contacts', { contacts: [{ id: 'z', phone: '555' }] }, /contacts\.0\.phone: must be an E\.164/],
    ['contacts: unknown time zone', 'post', () => '/v1/contacts', { contacts: [{ id: 'z', timezone: 'Mars/Base' }] }, /contacts\.0\.timezone/],
    ['contacts: empty list', 'post', () => '/v1/contacts', { contacts: [] }, /contacts:/],
    ['contacts: unknown field', 'post', () => '/v1/contacts', { contacts: [{ id: 'z', mail: 'x@y.z' }] }, /contacts\.0: Unrecognized key/],
    ['contacts: bad cursor', 'get', () => '/v1/contacts?after=abc', undefined, /after: must be the `next` value/],
    ['audiences: unknown type', 'post', () => '/v1/audiences', { name: 'x', type: 'segment' }, /type/],
    ['audiences: in without array', 'post', () => '/v1/audiences', { name: 'x', type: 'filter', all: [{ attribute: 'a', op: 'in', value: 1 }] }, /all\.0\.value: must be an array/],
    ['audiences: unknown contact', 'post', () => '/v1/audiences', { name: 'x', type: 'list', contactIds: ['a1', 'ghost'] }, /contactIds: unknown contacts: ghost/],
    ['campaigns: no channels', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_x', channels: [] }, /channels:/],
    ['campaigns: unknown channel', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_x', channels: [{ channel: 'fax', body: 'b' }] }, /channels\.0\.channel/],
    ['campaigns: email without subject', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_x', channels: [{ channel: 'email', body: 'b' }] }, /channels\.0\.subject: required for the email channel/],
    ['campaigns: broken template', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_x', channels: [{ channel: 'sms', body: 'Hi {{ name' }] }, /channels\.0\.body: template does not parse/],
    ['campaigns: channel twice', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_x', channels: [{ channel: 'sms', body: 'a' }, { channel: 'sms', body: 'b' }] }, /each channel may appear once/],
    ['campaigns: unknown audience', 'post', () => '/v1/campaigns', { name: 'x', audienceId: 'aud_nope', channels: [{ channel: 'sms', body: 'a' }] }, /audienceId: unknown audience/],
    ['campaigns: local time not a time of day', 'patch', () => `/v1/campaigns/${campaignId}`, { localTime: '25:00' }, /localTime: must be a time of day/],
    ['campaigns: throttle of zero', 'patch', () => `/v1/campaigns/${campaignId}`, { throttle: { limit: 0, periodSeconds: 60 } }, /throttle\.limit/],
    ['campaigns: end date in the past', 'patch', () => `/v1/campaigns/${campaignId}`, { endAt: '2020-01-01T00:00:00Z' }, /endAt: must be in the future/],
    ['campaigns: stop without confirmation', 'post', () => `/v1/campaigns/${campaignId}/stop`, {}, /confirmation:/],
    ['campaigns: preview of an unknown contact', 'post', () => `/v1/campaigns/${campaignId}/preview`, { contactId: 'ghost' }, /contactId: unknown contact ghost/],
    ['campaigns: html on a channel other than email', 'patch', () => `/v1/campaigns/${campaignId}`, { channels: [{ channel: 'sms', body: 'b', html: '<p>x</p>' }] }, /channels\.0\.html: only the email channel/],
    ['providers: unknown channel', 'put', () => '/v1/providers/fax', { kind: 'sandbox', config: {} }, /channel:/],
    ['providers: unknown kind', 'put', () => '/v1/providers/sms', { kind: 'carrier-pigeon', config: {} }, /kind:/],
    ['providers: test send without a body', 'post', () => '/v1/providers/sms/test', { to: '+14155550123' }, /body:/],
    ['campaigns: empty patch', 'patch', () => `/v1/campaigns/${campaignId}`, {}, /at least one field/],
    ['campaigns: schedule in the past', 'post', () => `/v1/campaigns/${campaignId}/schedule`, { at: '2020-01-01T00:00:00Z' }, /at: must be in the future/],
    ['campaigns: schedule not a time', 'post', () => `/v1/campaigns/${campaignId}/schedule`, { at: 'tomorrow' }, /at:/],
    ['campaigns: bad status filter', 'get', () => '/v1/campaigns?status=Done', undefined, /status:/],
    ['campaigns: forged cursor', 'get', () => '/v1/campaigns?after=not-a-cursor', undefined, /after: not a cursor this API returned/],
    ['audit: bad cursor', 'get', () => '/v1/audit?after=-1', undefined, /after:/],
    ['deliveries: bad state filter', 'get', () => `/v1/campaigns/${campaignId}/deliveries?state=lost`, undefined, /state:/],
    ['events: unknown type', 'get', () => '/v1/events?type=sms.opened', undefined, /type:/],
    ['events: limit too large', 'get', () => '/v1/events?limit=5000', undefined, /limit:/],
    ['brake: on not a boolean', 'post', () => '/v1/account/brake', { on: 'yes' }, /on:/],
    ['brake: no body', 'post', () => '/v1/account/brake', {}, /on:/],
    ['planned: scheduled not a boolean', 'get', () => '/v1/planned?scheduled=maybe', undefined, /scheduled: must be 'true' or 'false'/],
    ['planned: delete without confirmation', 'delete', () => `/v1/planned/${campaignId}`, undefined, /confirmation:/],
    ['campaigns: includeDeleted not a boolean', 'get', () => '/v1/campaigns?includeDeleted=1', undefined, /includeDeleted:/],
  ];

  test.each(cases)('%s', async (_name, method, path, body, message) => {
    const before = await snapshotA();
    const http = api(herald.app, keyA);
    const res = await (method === 'get' || method === 'delete' ? http[method](path()) : http[method](path(), body));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(message);
    expect(await snapshotA()).toEqual(before);
  });

  test('a body that is not JSON is a 400 naming the body', async () => {
    const res = await request(herald.app)
      .post('/v1/contacts')
      .set({ Authorization: `Bearer ${keyA}`, 'Content-Type': 'application/json' })
      .send('{"contacts": [');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^body:/);
  });
});

describe('accounts are isolated', () => {
  test("account B gets 404 for every one of A's ids and sees none of A's data", async () => {
    const b = api(herald.app, keyB);
    for (const path of [
      `/v1/campaigns/${campaignId}`,
      `/v1/campaigns/${campaignId}/deliveries`,
      `/v1/audiences/${audienceId}`,
      '/v1/contacts/a1',
    ]) {
      const res = await b.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(JSON.stringify(res.body)).not.toContain('A campaign');
    }
    expect((await b.patch(`/v1/campaigns/${campaignId}`, { name: 'mine' })).status).toBe(404);
    for (const [action, body] of [
      ['send', undefined],
      ['schedule', { at: new Date(Date.now() + 3_600_000).toISOString() }],
      ['pause', undefined],
      ['resume', undefined],
      ['stop', { confirmation: campaignId }],
      ['cancel', {}],
      ['unschedule', undefined],
      ['copy', undefined],
      ['preview', { contactId: 'a1' }],
    ] as const) {
      const res = await b.post(`/v1/campaigns/${campaignId}/${action}`, body);
      expect({ action, status: res.status }).toEqual({ action, status: 404 });
    }
    expect((await b.get(`/v1/campaigns/${campaignId}/report`)).status).toBe(404);
    expect((await b.delete(`/v1/planned/${campaignId}?confirmation=${campaignId}`)).status).toBe(404);
    expect((await b.get('/v1/planned')).body.items).toEqual([]);
    expect((await b.post('/v1/campaigns', { name: 'x', audienceId, channels: [{ channel: 'sms', body: 'b' }] })).status).toBe(400);
    expect((await b.post('/v1/audiences', { name: 'x', type: 'list', contactIds: ['a1'] })).status).toBe(400);
    for (const path of ['/v1/campaigns', '/v1/audiences', '/v1/contacts', '/v1/events', '/v1/audit']) {
      expect((await b.get(path)).body.items).toEqual([]);
    }
    const a = api(herald.app, keyA);
    expect((await a.get(`/v1/campaigns/${campaignId}`)).body).toMatchObject({ name: 'A campaign', status: 'Draft' });
    expect((await a.get('/v1/campaigns?limit=1000')).body.items.filter((c: { name: string }) => c.name.includes('copy'))).toEqual([]);
  });

  test('requests without a valid key get 401', async () => {
    expect((await request(herald.app).get('/v1/campaigns')).status).toBe(401);
    expect((await request(herald.app).get('/v1/campaigns').set('Authorization', 'Bearer hk_wrong')).status).toBe(401);
  });
});

describe('campaign lifecycle through the API', () => {
  test('a Draft can be edited; once sent, editing and sending again get 409 naming the status', async () => {
    const a = api(herald.app, keyA);
    const created = await a
      .post('/v1/campaigns', { name: 'Draft one', audienceId, channels: [{ channel: 'sms', body: 'v1' }] })
      .expect(201);
    const id = created.body.id as string;
    const edited = await a.patch(`/v1/campaigns/${id}`, { channels: [{ channel: 'sms', body: 'v2 {{ contact.first_name }}' }] }).expect(200);
    expect(edited.body.channels[0].body).toBe('v2 {{ contact.first_name }}');

    await a.post(`/v1/campaigns/${id}/send`).expect(202);
    const again = await a.post(`/v1/campaigns/${id}/send`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/cannot send a campaign that is (Sending|Finished)/);
    const edit = await a.patch(`/v1/campaigns/${id}`, { name: 'late' });
    expect(edit.status).toBe(409);

    const audit = await a.get('/v1/audit?limit=100');
    const mine = audit.body.items.filter((e: { target: string }) => e.target === id);
    expect(mine.map((e: { action: string; result: string }) => `${e.action}:${e.result}`)).toEqual([
      'campaign.create:ok',
      'campaign.update:ok',
      'campaign.send:ok',
      'campaign.send:refused',
      'campaign.update:refused',
    ]);
  });

  test('the campaign list filters by status', async () => {
    const a = api(herald.app, keyA);
    const drafts = await a.get('/v1/campaigns?status=Draft').expect(200);
    expect(drafts.body.items.every((c: { status: string }) => c.status === 'Draft')).toBe(true);
    expect(drafts.body.items.map((c: { id: string }) => c.id)).toContain(campaignId);
  });

  test('the OpenAPI document describes every route', async () => {
    const doc = (await request(herald.app).get('/openapi.json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/contacts', '/v1/audiences', '/v1/campaigns', '/v1/campaigns/{id}', '/v1/campaigns/{id}/send', '/v1/campaigns/{id}/schedule', '/v1/campaigns/{id}/deliveries', '/v1/events']),
    );
    const ref = doc.paths['/v1/campaigns'].post.requestBody.content['application/json'].schema.$ref as string;
    expect(ref).toBe('#/components/schemas/CreateCampaign');
    expect(doc.components.schemas.CreateCampaign.required).toEqual(expect.arrayContaining(['name', 'audienceId', 'channels']));
  });

  test('the OpenAPI document is fit for generators: a readable operationId per route, named schemas, examples, every $ref resolves', async () => {
    const doc = (await request(herald.app).get('/openapi.json').expect(200)).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((p) => Object.values(p));
    const ids = operations.map((o) => o.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][a-zA-Z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['listCampaigns', 'createCampaign', 'pauseCampaign', 'stopCampaign', 'getBrake', 'listAudit']));
    expect(doc.paths['/v1/campaigns/{id}/pause'].post.operationId).toBe('pauseCampaign');
    expect(doc.paths['/v1/campaigns/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Campaign' });
    expect(doc.paths['/v1/campaigns'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CampaignPage' });
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Campaign', 'ControlReport', 'DeliveryCounts', 'Contact', 'Audience', 'ApiKey', 'Brake', 'Error', 'AuditEntry']),
    );
    expect(doc.components.schemas.CreateCampaign.example).toMatchObject({ name: 'Spring sale' });
    // Every reference points at something the document has.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) {
      const [, kind, name] = /#\/components\/(\w+)\/(\w+)/.exec(r) ?? [];
      expect(doc.components[kind!]?.[name!]).toBeDefined();
    }
    // What the example says is what the API takes.
    const a = api(herald.app, keyA);
    const example = { ...doc.components.schemas.CreateCampaign.example, audienceId };
    expect((await a.post('/v1/campaigns', example)).status).toBe(201);
  });
});

describe('a backend service with the typed client (src/client)', () => {
  test('creates a Draft and reads it back; an error arrives as the API error body; a wrong key is a 401', async () => {
    const server = herald.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = heraldClient({ baseUrl, apiKey: keyA });
      const created = await client.POST('/v1/campaigns', {
        body: { name: 'Typed', audienceId, channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] },
      });
      expect(created.response.status).toBe(201);
      const read = await client.GET('/v1/campaigns/{id}', { params: { path: { id: created.data!.id } } });
      expect(read.data).toMatchObject({ name: 'Typed', status: 'Draft', counts: { planned: 0 } });
      const refused = await client.POST('/v1/campaigns/{id}/stop', { params: { path: { id: created.data!.id } }, body: { confirmation: 'wrong' } });
      expect(refused.response.status).toBe(422);
      expect(refused.error?.error.code).toBe('confirmation_mismatch');
      const wrongKey = await heraldClient({ baseUrl, apiKey: 'hk_wrong' }).GET('/v1/campaigns', { params: { query: {} } });
      expect(wrongKey.response.status).toBe(401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('audiences, contacts and previews for the console', () => {
  test('a filter with an any group matches contacts meeting every condition and at least one of the group', async () => {
    const { apiKey } = await newAccount(herald.store, 'Filters');
    const a = api(herald.app, apiKey);
    const people = [
      { id: 'p1', attributes: { plan: 'pro', country: 'PL' } },
      { id: 'p2', attributes: { plan: 'pro', country: 'DE' } },
      { id: 'p3', attributes: { plan: 'pro', country: 'FR' } },
      { id: 'p4', attributes: { plan: 'free', country: 'PL' } },
    ];
    await a.post('/v1/contacts', { contacts: people }).expect(200);
    const grouped = await a
      .post('/v1/audiences', {
        name: 'Pro in PL or DE',
        type: 'filter',
        all: [{ attribute: 'plan', op: 'eq', value: 'pro' }, { any: [{ attribute: 'country', op: 'eq', value: 'PL' }, { attribute: 'country', op: 'eq', value: 'DE' }] }],
      })
      .expect(201);
    expect(grouped.body.size).toBe(2);
    expect(grouped.body.conditions[1]).toEqual({ any: [{ attribute: 'country', op: 'eq', value: 'PL' }, { attribute: 'country', op: 'eq', value: 'DE' }] });
    // A top-level any alone: at least one of its conditions.
    const either = await a.post('/v1/audiences', { name: 'FR or free', type: 'filter', any: [{ attribute: 'country', op: 'eq', value: 'FR' }, { attribute: 'plan', op: 'eq', value: 'free' }] }).expect(201);
    expect(either.body.size).toBe(2);
    expect((await a.get(`/v1/audiences/${either.body.id}`).expect(200)).body.size).toBe(2);
    // A campaign to the grouped audience goes to exactly p1 and p2.
    const id = (await a.post('/v1/campaigns', { name: 'Grouped', audienceId: grouped.body.id, channels: [{ channel: 'email', subject: 'S', body: 'B' }] }).expect(201)).body.id;
    const res = await a.post(`/v1/campaigns/${id}/preview`, { contactId: 'p1' }).expect(200);
    expect(res.body.channels[0]).toMatchObject({ channel: 'email', subject: 'S' });
    // An empty group is refused, naming it.
    const bad = await a.post('/v1/audiences', { name: 'x', type: 'filter', all: [{ any: [] }] }).expect(400);
    expect(bad.body.error.message).toMatch(/all\.0/);
  });

  test('contacts are searched by a part of their id, email or phone, by cursor', async () => {
    const { apiKey } = await newAccount(herald.store, 'Search');
    const a = api(herald.app, apiKey);
    await a.post('/v1/contacts', { contacts: [...contacts(30, 'ann'), { id: 'bob', email: 'Bob_Smith@Example.com' }, { id: 'x%1', email: 'percent@example.com' }] }).expect(200);
    const bob = await a.get('/v1/contacts?q=smith').expect(200);
    expect(bob.body.items.map((c: { id: string }) => c.id)).toEqual(['bob']);
    // LIKE's wildcards are plain characters in a search.
    expect((await a.get('/v1/contacts?q=%25').expect(200)).body.items.map((c: { id: string }) => c.id)).toEqual(['x%1']);
    expect((await a.get('/v1/contacts?q=_').expect(200)).body.items.map((c: { id: string }) => c.id)).toEqual(['bob']);
    const first = await a.get('/v1/contacts?q=ann&limit=20').expect(200);
    expect(first.body.items).toHaveLength(20);
    const second = await a.get(`/v1/contacts?q=ann&limit=20&after=${first.body.next}`).expect(200);
    expect(second.body.items).toHaveLength(10);
    expect(second.body.next).toBeNull();
  });

  test('templates being written are previewed for a chosen contact before anything is saved', async () => {
    const { apiKey } = await newAccount(herald.store, 'Preview');
    const a = api(herald.app, apiKey);
    await a.post('/v1/contacts', { contacts: [{ id: 'ada', email: 'ada@example.com', attributes: { first: 'Ada' } }] }).expect(200);
    const before = (await a.get('/v1/campaigns').expect(200)).body.items.length;
    const res = await a
      .post('/v1/preview', { contactId: 'ada', channels: [{ channel: 'email', subject: 'Hi {{ contact.first }}', body: 'Hello {{ contact.first }}!' }, { channel: 'sms', body: 'Yo {{ contact.first }}' }] })
      .expect(200);
    expect(res.body.channels).toEqual([
      expect.objectContaining({ channel: 'email', subject: 'Hi Ada', body: 'Hello Ada!' }),
      expect.objectContaining({ channel: 'sms', body: 'Yo Ada' }),
    ]);
    expect((await a.get('/v1/campaigns').expect(200)).body.items.length).toBe(before);
    expect((await a.post('/v1/preview', { contactId: 'nobody', channels: [{ channel: 'sms', body: 'x' }] }).expect(400)).body.error.message).toMatch(/contactId/);
  });
});
