/** Campaigns sent end to end: REST API -> real Temporal server -> worker -> sandbox provider, on both stores. */
import { STORE_KINDS, api, campaignEnded, contacts, draftCampaign, newAccount, openTestStore, startHerald, type TestHerald, NO_RECEIPTS } from '../helpers';
import { campaignWorkflowId } from '../../src/workflows/definitions';

describe.each(STORE_KINDS)('sending a campaign (%s store)', (kind) => {
  let herald: TestHerald;
  let key: string;
  let accountId: string;

  beforeAll(async () => {
    const store = await openTestStore(kind);
    herald = await startHerald({ title: `send-${kind}`, store, sendOptions: { batchSize: 500, concurrency: 4 } });
    ({ apiKey: key, accountId } = await newAccount(store));
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  const finished = (id: string) => campaignEnded(herald.app, key, id);

  const draft = (body: { audience: object; channels: object[] }) =>
    draftCampaign(herald.app, key, body.audience, { channels: body.channels });

  test('a 10,000-recipient campaign ends Finished with exactly 10,000 sent, each contact once', async () => {
    const http = api(herald.app, key);
    const all = contacts(10_000, 'big');
    for (let i = 0; i < all.length; i += 5_000) {
      await http.post('/v1/contacts', { contacts: all.slice(i, i + 5_000) }).expect(200);
    }
    const id = await draft({
      audience: { type: 'filter', all: [{ attribute: 'n', op: 'gte', value: 1 }] },
      channels: [{ channel: 'email', subject: 'Hi {{ contact.first_name }}', body: 'Hello {{ contact.first_name }}' }],
    });

    const started = await http.post(`/v1/campaigns/${id}/send`).expect(202);
    expect(started.body.status).toBe('Sending');
    const done = await finished(id);

    expect(done.status).toBe('Finished');
    expect(done.counts).toEqual({ planned: 10_000, pending: 0, sent: 10_000, notSent: 0, failed: 0, inDoubt: 0, ...NO_RECEIPTS });
    const listed = await http.get('/v1/campaigns?status=Finished').expect(200);
    expect(listed.body.items.find((c: { id: string }) => c.id === id).counts).toEqual(done.counts);
    const received = herald.sandbox.forCampaign(id);
    expect(received).toHaveLength(10_000);
    expect(new Set(received.map((m) => m.contactId)).size).toBe(10_000);
    expect(herald.sandbox.duplicates()).toBe(0);
    const one = received.find((m) => m.contactId === 'big42');
    expect(one).toMatchObject({ to: 'big42@example.com', subject: 'Hi Name42', body: 'Hello Name42' });

    // Operators find it in Temporal by its readable id and search attributes.
    const handle = herald.client.workflow.getHandle(campaignWorkflowId(id));
    expect(await handle.result()).toMatchObject({ status: 'Finished', tally: { sent: 10_000, planned: 10_000 } });
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    const attrs = Object.fromEntries(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(attrs).toMatchObject({ CampaignStatus: 'Finished', AccountId: accountId, Channels: ['email'] });
  });

  test('every channel sends; suppressed contacts are notSent(suppressed) with their event', async () => {
    const http = api(herald.app, key);
    await http
      .post('/v1/contacts', {
        contacts: [
          { id: 'm1', email: 'm1@example.com', phone: '+14155550001', pushTokens: ['tok-1'] },
          { id: 'm2', email: 'm2@example.com', phone: '+14155550002', suppressed: ['sms'] },
          {
            id: 'm3',
            webPushSubscriptions: [{ endpoint: 'https://push.example.com/s/3', keys: { p256dh: 'p', auth: 'a' } }],
          },
        ],
      })
      .expect(200);
    const id = await draft({
      audience: { type: 'list', contactIds: ['m1', 'm2', 'm3'] },
      channels: [
        { channel: 'email', subject: 'S', body: 'B' },
        { channel: 'sms', body: 'B' },
        { channel: 'push', subject: 'T', body: 'B' },
        { channel: 'webpush', body: 'B' },
      ],
    });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    const done = await finished(id);

    // m1: email, sms, push; m2: email (sms suppressed); m3: webpush.
    expect(done.counts).toMatchObject({ planned: 6, sent: 5, notSent: 1, failed: 0, pending: 0 });
    expect(done.byChannel.sms).toMatchObject({ planned: 2, sent: 1, notSent: 1 });
    const events = await http.get(`/v1/events?campaignId=${id}&limit=100`).expect(200);
    const types = events.body.items.map((e: { type: string; contactId: string }) => `${e.type}:${e.contactId}`).sort();
    expect(types).toEqual(['message.sent:m1', 'message.sent:m2', 'push.sent:m1', 'sms.notSent:m2', 'sms.sent:m1', 'webpush.sent:m3']);
    const notSent = await http.get(`/v1/campaigns/${id}/deliveries?state=notSent`).expect(200);
    expect(notSent.body.items).toEqual([expect.objectContaining({ contactId: 'm2', channel: 'sms', reason: 'suppressed' })]);
  });

  test('a scheduled campaign waits, then starts at its time', async () => {
    const http = api(herald.app, key);
    await http.post('/v1/contacts', { contacts: contacts(20, 'sch') }).expect(200);
    const id = await draft({
      audience: { type: 'list', contactIds: contacts(20, 'sch').map((c) => c.id) },
      channels: [{ channel: 'email', subject: 'Later', body: 'B' }],
    });
    const at = new Date(Date.now() + 3_000);
    const scheduled = await http.post(`/v1/campaigns/${id}/schedule`, { at: at.toISOString() }).expect(202);
    expect(scheduled.body.status).toBe('Scheduled');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await http.get(`/v1/campaigns/${id}`)).body.status).toBe('Scheduled');
    expect(herald.sandbox.forCampaign(id)).toHaveLength(0);

    const done = await finished(id);
    expect(done.counts.sent).toBe(20);
    const first = Math.min(...herald.sandbox.forCampaign(id).map((m) => m.at));
    expect(first).toBeGreaterThanOrEqual(at.getTime());

    // The Temporal Web UI lists it by name, with its account, not only by `campaign-cmp_...`.
    const description = await herald.client.workflow.getHandle(campaignWorkflowId(id)).describe();
    expect(await description.staticSummary()).toBe(`campaign (${id})`);
    expect(await description.staticDetails()).toContain(`**Account** ${accountId}`);
    expect(description.memo).toEqual({ campaignName: 'campaign', accountId });
  });
});

describe('provider failures', () => {
  test("refused recipients are failed with the provider's error; an outage is retried without sending anyone twice", async () => {
    const store = await openTestStore('embedded');
    const herald = await startHerald({
      title: 'provider-failures',
      store,
      // Every 10th contact is refused; the first 3 calls to the provider fail as an outage.
      sandbox: { failWhen: (m) => Number(m.contactId.slice(2)) % 10 === 0, outageCalls: 3 },
      sendOptions: { batchSize: 200, concurrency: 2 },
    });
    try {
      const { apiKey } = await newAccount(store);
      const http = api(herald.app, apiKey);
      await http.post('/v1/contacts', { contacts: contacts(1_000, 'pf') }).expect(200);
      const audience = await http.post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201);
      const created = await http
        .post('/v1/campaigns', { name: 'flaky', audienceId: audience.body.id, channels: [{ channel: 'email', subject: 'S', body: 'B' }] })
        .expect(201);
      const id = created.body.id as string;
      await http.post(`/v1/campaigns/${id}/send`).expect(202);
      const done = await campaignEnded(herald.app, apiKey, id);
      expect(done.status).toBe('Finished');

      expect(done.counts).toEqual({ planned: 1_000, pending: 0, sent: 900, notSent: 0, failed: 100, inDoubt: 0, ...NO_RECEIPTS });
      expect(herald.sandbox.forCampaign(id)).toHaveLength(900);
      expect(herald.sandbox.duplicates()).toBe(0);
      const failed = await http.get(`/v1/campaigns/${id}/deliveries?state=failed&limit=1`).expect(200);
      expect(failed.body.items[0]).toMatchObject({ contactId: 'pf10', error: 'sandbox: recipient refused' });
      const events = await http.get(`/v1/events?campaignId=${id}&type=message.failed&limit=1000`).expect(200);
      expect(events.body.items).toHaveLength(100);
    } finally {
      await herald.stop();
      await store.close();
    }
  });
});
