/** The store behaves the same on the embedded engine (PGlite) and on PostgreSQL. */
import { STORE_KINDS, createTestDatabase, openTestStore } from '../helpers';
import type { Contact, ControlReport } from '../../src/domain/types';
import type { Store } from '../../src/store';
import { openEmbeddedClient } from '../../src/store/embedded';
import { migrate } from '../../src/store/migrate';
import { openPostgresClient } from '../../src/store/postgres';
import type { SqlClient } from '../../src/store/sql-client';
import { sqlStore } from '../../src/store/sql-store';
import type { NewCampaign } from '../../src/store/store';

const contact = (id: string, extra: Partial<Contact> = {}): Contact => ({
  id,
  email: `${id}@example.com`,
  pushTokens: [],
  webPushSubscriptions: [],
  attributes: {},
  suppressed: [],
  ...extra,
});

const NOW = new Date('2026-03-10T12:00:00Z');

describe.each(STORE_KINDS)('store (%s)', (kind) => {
  let store: Store;
  let accountId: string;

  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    ({ accountId } = await store.createAccount('acme'));
  });

  async function campaignFor(
    contacts: Contact[],
    channels: Contact['suppressed'] = ['email'],
    extra: Partial<NewCampaign> = {},
  ) {
    await store.upsertContacts(accountId, contacts);
    const audience = await store.createAudience(accountId, 'a', { type: 'list', contactIds: contacts.map((c) => c.id) });
    return store.createCampaign(accountId, {
      name: 'c',
      audienceId: audience.id,
      channels: channels.map((channel) => ({ channel, subject: 's', body: 'b' })),
      ...extra,
    });
  }

  test('API keys are stored hashed and resolve to their account', async () => {
    const { apiKey, keyId } = await store.createAccount('other');
    const principal = await store.authenticate(apiKey);
    expect(principal?.keyId).toBe(keyId);
    expect(await store.authenticate(`${apiKey}x`)).toBeNull();
  });

  test("an account's first key is admin; new keys have their scope, list without secrets, and stop working once revoked", async () => {
    const { apiKey } = await store.createAccount('keys');
    const owner = (await store.authenticate(apiKey))!;
    expect(owner.scope).toBe('admin');
    const reader = await store.createApiKey(owner.accountId, 'dashboard', 'read');
    expect(await store.authenticate(reader.key)).toEqual({ accountId: owner.accountId, keyId: reader.id, scope: 'read' });
    const listed = await store.listApiKeys(owner.accountId);
    expect(listed.map((k) => `${k.name}:${k.scope}:${k.revokedAt === null}`)).toEqual(['default:admin:true', 'dashboard:read:true']);
    expect(JSON.stringify(listed)).not.toContain(reader.key);
    expect(await store.revokeApiKey(accountId, reader.id, NOW)).toBeNull();
    expect((await store.revokeApiKey(owner.accountId, reader.id, NOW))?.revokedAt).toEqual(NOW);
    expect((await store.revokeApiKey(owner.accountId, reader.id, new Date()))?.revokedAt).toEqual(NOW);
    expect(await store.authenticate(reader.key)).toBeNull();
  });

  test('importing a contact again replaces it instead of adding one', async () => {
    await store.upsertContacts(accountId, [contact('a', { attributes: { tier: 1 } })]);
    await store.upsertContacts(accountId, [contact('a', { email: null, phone: '+48500100200', attributes: { tier: 2 } })]);
    const page = await store.listContacts(accountId, { limit: 10 });
    expect(page.items).toEqual([expect.objectContaining({ id: 'a', email: null, phone: '+48500100200', attributes: { tier: 2 } })]);
  });

  test('filter audiences select by attribute with eq, neq, in, exists and comparisons', async () => {
    await store.upsertContacts(accountId, [
      contact('x1', { attributes: { plan: 'pro', age: 30 } }),
      contact('x2', { attributes: { plan: 'free', age: 17 } }),
      contact('x3', { attributes: { age: 45 } }),
    ]);
    const size = async (all: Parameters<Store['createAudience']>[2]) => (await store.createAudience(accountId, 'f', all)).size;
    expect(await size({ type: 'filter', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] })).toBe(1);
    expect(await size({ type: 'filter', all: [{ attribute: 'plan', op: 'neq', value: 'pro' }] })).toBe(2);
    expect(await size({ type: 'filter', all: [{ attribute: 'plan', op: 'in', value: ['pro', 'free'] }] })).toBe(2);
    expect(await size({ type: 'filter', all: [{ attribute: 'plan', op: 'exists' }] })).toBe(2);
    expect(await size({ type: 'filter', all: [{ attribute: 'age', op: 'gte', value: 18 }] })).toBe(2);
    expect(
      await size({ type: 'filter', all: [{ attribute: 'age', op: 'lt', value: 40 }, { attribute: 'plan', op: 'exists' }] }),
    ).toBe(2);
    const proOrOld = { any: [{ attribute: 'plan', op: 'eq' as const, value: 'pro' }, { attribute: 'age', op: 'gt' as const, value: 40 }] };
    expect(await size({ type: 'filter', all: [proOrOld] })).toBe(2);
    expect(await size({ type: 'filter', all: [{ any: [] }] })).toBe(0);
  });

  test('a list audience naming an unknown contact is refused and not created', async () => {
    await store.upsertContacts(accountId, [contact('k1')]);
    await expect(store.createAudience(accountId, 'l', { type: 'list', contactIds: ['k1', 'ghost'] })).rejects.toThrow(/ghost/);
    expect(await store.listAudiences(accountId)).toEqual([]);
  });

  test('planning a page twice creates each delivery once; suppressed ones are notSent with one event', async () => {
    const campaign = await campaignFor(
      [contact('p1'), contact('p2', { suppressed: ['email'] }), contact('p3', { email: null, phone: '+48500100200' })],
      ['email', 'sms'],
    );
    const first = await store.planPage(campaign, 0, 10, NOW);
    const again = await store.planPage(campaign, 0, 10, NOW);
    expect(first).toEqual({ nextCursor: null, contacts: 3, planned: 3, suppressed: 1 });
    expect(again).toMatchObject({ planned: 0, suppressed: 0 });
    const counts = await store.countDeliveries(campaign.id);
    expect(counts.total).toEqual({ planned: 3, pending: 2, sent: 0, notSent: 1, failed: 0, inDoubt: 0 });
    const events = await store.listEvents(accountId, { limit: 10, campaignId: campaign.id });
    expect(events.items.map((e) => [e.type, e.contactId, e.reason])).toEqual([['message.notSent', 'p2', 'suppressed']]);
  });

  test('planning pages by cursor covers every contact exactly once', async () => {
    const many = Array.from({ length: 25 }, (_, i) => contact(`q${i}`));
    const campaign = await campaignFor(many);
    let cursor = 0;
    let planned = 0;
    for (;;) {
      const page = await store.planPage(campaign, cursor, 10, NOW);
      planned += page.planned;
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(planned).toBe(25);
  });

  test('leases take pending deliveries once without writing them; a released lease frees what it still held', async () => {
    const campaign = await campaignFor(Array.from({ length: 5 }, (_, i) => contact(`r${i}`)));
    await store.planPage(campaign, 0, 100, NOW);
    const a = await store.claimLease(campaign.id, 'email', 'batch-a', 3, NOW);
    const b = await store.claimLease(campaign.id, 'email', 'batch-b', 3, NOW);
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    expect(new Set([...a, ...b].map((d) => d.id)).size).toBe(5);
    expect(await store.claimLease(campaign.id, 'email', 'batch-c', 3, NOW)).toEqual([]);
    // A lease is one row: the deliveries stay pending, untouched.
    expect((await store.listDeliveries(campaign.id, { limit: 10, state: 'pending' })).items).toHaveLength(5);

    await store.recordResults(campaign, [{ id: a[0]!.id, contactId: a[0]!.contact.id, state: 'sent', providerMessageId: 'pm-1' }]);
    await store.releaseLease(campaign.id, 'batch-a');
    const again = await store.claimLease(campaign.id, 'email', 'batch-d', 10, NOW);
    expect(again.map((d) => d.id)).toEqual([a[1]!.id, a[2]!.id]);
    expect(again[0]!.contact.email).toBe(a[1]!.contact.email);
  });

  test('recording results is idempotent and emits one event per delivery with the channel prefix', async () => {
    const campaign = await campaignFor([contact('s1', { phone: '+48500100201' }), contact('s2', { phone: '+48500100202' })], ['sms']);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimLease(campaign.id, 'sms', 'k', 10, NOW);
    const results = [
      { id: claimed[0]!.id, contactId: 's1', state: 'sent' as const, providerMessageId: 'SM1', providerStatus: 'queued' },
      { id: claimed[1]!.id, contactId: 's2', state: 'failed' as const, error: 'invalid number' },
    ];
    await store.recordResults(campaign, results);
    await store.recordResults(campaign, results);
    const events = await store.listEvents(accountId, { limit: 10, campaignId: campaign.id });
    expect(events.items.map((e) => e.type).sort()).toEqual(['sms.failed', 'sms.sent']);
    const deliveries = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(deliveries.items.map((d) => [d.contactId, d.state, d.providerMessageId ?? d.error, d.providerStatus])).toEqual([
      ['s1', 'sent', 'SM1', 'queued'],
      ['s2', 'failed', 'invalid number', null],
    ]);
    expect((await store.countDeliveries(campaign.id)).total).toEqual({ planned: 2, pending: 0, sent: 1, notSent: 0, failed: 1, inDoubt: 0 });
  });

  test('a fence or the brake refuses every handover; a chunk handed by a lost worker becomes inDoubt, and its late answer still counts', async () => {
    const campaign = await campaignFor([contact('d1'), contact('d2'), contact('d3'), contact('d4')]);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimLease(campaign.id, 'email', 'lost-batch', 10, NOW);
    const [taken, inFlight, late] = claimed.map((d) => d.id) as [number, number, number, number];
    expect(await store.handOver(campaign.id, 'lost-batch', [taken, inFlight, late])).toBe(true);
    // The answer for the first came; the worker died with the other two at the provider.
    await store.recordResults(campaign, [{ id: taken, contactId: 'd1', state: 'sent', providerMessageId: 'pm' }], {
      batchKey: 'lost-batch',
      handed: [taken],
    });

    await store.fence(campaign.id, 'stop');
    expect(await store.handOver(campaign.id, 'lost-batch', [claimed[3]!.id])).toBe(false);
    expect(await store.settleLeases(campaign.id)).toEqual({ email: 2 });
    expect((await store.countDeliveries(campaign.id)).total).toMatchObject({ sent: 1, inDoubt: 2, pending: 1 });
    const doubt = await store.listDeliveries(campaign.id, { limit: 10, state: 'inDoubt' });
    expect(doubt.items.map((d) => d.contactId)).toEqual(['d2', 'd3']);
    expect(doubt.items[0]!.handedAt?.getTime()).toBeGreaterThan(0);
    // The lease is gone: the lost worker, back, can hand nothing over even with the fence lifted.
    await store.fence(campaign.id, null);
    expect(await store.handOver(campaign.id, 'lost-batch', [claimed[3]!.id])).toBe(false);
    // Its call's answer arrives after all: recorded, counted once.
    await store.recordResults(campaign, [{ id: late, contactId: 'd3', state: 'sent', providerMessageId: 'pm-late' }]);
    expect((await store.countDeliveries(campaign.id)).total).toMatchObject({ sent: 2, inDoubt: 1, pending: 1 });

    await store.claimLease(campaign.id, 'email', 'braked', 10, NOW);
    await store.setBrake(accountId, true, 'key', NOW);
    expect(await store.handOver(campaign.id, 'braked', [claimed[3]!.id])).toBe(false);
    await store.setBrake(accountId, false, 'key', NOW);
    expect(await store.handOver(campaign.id, 'braked', [claimed[3]!.id])).toBe(true);
  });

  test("a stop's answer shows what is still pending as notSent(stopped) in every read; the stop then writes only their events, each once", async () => {
    const campaign = await campaignFor([contact('f1'), contact('f2'), contact('f3')]);
    await store.planPage(campaign, 0, 100, NOW);
    const [first] = await store.claimLease(campaign.id, 'email', 'k', 1, NOW);
    await store.recordResults(campaign, [{ id: first!.id, contactId: 'f1', state: 'sent', providerMessageId: 'pm' }]);
    await store.releaseLease(campaign.id, 'k');
    await store.recordStatus(campaign.id, 'Stopped', NOW, { unsentReason: 'stopped' });
    const answered = await store.countDeliveries(campaign.id);
    expect(answered.total).toEqual({ planned: 3, pending: 0, sent: 1, notSent: 2, failed: 0, inDoubt: 0 });
    const shown = await store.listDeliveries(campaign.id, { limit: 10, state: 'notSent' });
    expect(shown.items.map((d) => [d.contactId, d.state, d.reason])).toEqual([
      ['f2', 'notSent', 'stopped'],
      ['f3', 'notSent', 'stopped'],
    ]);
    expect((await store.listDeliveries(campaign.id, { limit: 10, state: 'pending' })).items).toEqual([]);
    // Chunk by chunk, one event each; a chunk asked again (a retried activity) writes nothing twice.
    expect(await store.markUnsent(campaign, 'stopped', 1)).toEqual({ email: 1 });
    expect(await store.markUnsent(campaign, 'stopped', 100)).toEqual({ email: 1 });
    expect(await store.markUnsent(campaign, 'stopped', 100)).toEqual({});
    const events = await store.listEvents(accountId, { limit: 20, campaignId: campaign.id, type: 'message.notSent' });
    expect(events.items.map((e) => [e.contactId, e.reason])).toEqual([
      ['f2', 'stopped'],
      ['f3', 'stopped'],
    ]);
    expect((await store.countDeliveries(campaign.id)).total).toEqual(answered.total);
    expect((await store.listDeliveries(campaign.id, { limit: 10, state: 'notSent' })).items).toEqual(shown.items);
  });

  test('inDoubt messages go again only where asked and only while the campaign is open; held or stopped first, they are in doubt again', async () => {
    const campaign = await campaignFor([contact('g1'), contact('g2')]);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimLease(campaign.id, 'email', 'k', 10, NOW);
    await store.recordResults(campaign, [{ id: claimed[0]!.id, contactId: 'g1', state: 'inDoubt', error: 'timeout' }]);
    await store.releaseLease(campaign.id, 'k');
    expect(await store.retryInDoubt(campaign.id, ['sms'])).toBe(0);
    await store.fence(campaign.id, 'pause');
    expect(await store.retryInDoubt(campaign.id, ['email'])).toBe(0);
    await store.fence(campaign.id, null);
    expect(await store.retryInDoubt(campaign.id, ['email'])).toBe(1);
    expect((await store.countDeliveries(campaign.id)).total).toMatchObject({ pending: 2, inDoubt: 0 });

    // Stopped before it went again: it may have arrived the first time, so it is inDoubt, never notSent.
    await store.fence(campaign.id, 'stop');
    expect(await store.settleLeases(campaign.id)).toEqual({ email: 1 });
    expect(await store.markUnsent(campaign, 'stopped', 100)).toEqual({ email: 1 });
    expect((await store.countDeliveries(campaign.id)).total).toMatchObject({ pending: 0, inDoubt: 1, notSent: 1 });
    const doubt = await store.listDeliveries(campaign.id, { limit: 10, state: 'inDoubt' });
    expect(doubt.items.map((d) => [d.contactId, d.error])).toEqual([['g1', 'timeout']]);
  });

  test("another account's campaign is invisible and cannot be changed", async () => {
    const campaign = await campaignFor([contact('i1')]);
    const other = await store.createAccount('other');
    expect(await store.getCampaign(other.accountId, campaign.id)).toBeNull();
    expect(await store.updateCampaign(other.accountId, campaign.id, ['Draft'], { name: 'stolen' })).toBeNull();
    expect((await store.getCampaign(accountId, campaign.id))?.name).toBe('c');
  });

  test('a conditional update applies only from the given statuses', async () => {
    const campaign = await campaignFor([contact('u1')]);
    expect(await store.updateCampaign(accountId, campaign.id, ['Draft'], { status: 'Sending' })).not.toBeNull();
    expect(await store.updateCampaign(accountId, campaign.id, ['Draft'], { status: 'Sending' })).toBeNull();
  });

  test('campaigns list newest first by cursor, filtered by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await campaignFor([contact(`l${i}`)])).id);
    await store.updateCampaign(accountId, ids[0]!, ['Draft'], { status: 'Scheduled' });
    const first = await store.listCampaigns(accountId, { limit: 2 });
    const second = await store.listCampaigns(accountId, { limit: 2, after: first.next! });
    expect([...first.items, ...second.items].map((c) => c.id)).toEqual([...ids].reverse());
    const scheduled = await store.listCampaigns(accountId, { limit: 10, status: 'Scheduled' });
    expect(scheduled.items.map((c) => c.id)).toEqual([ids[0]]);
    const forged = Buffer.from(JSON.stringify(['yesterday', ids[0]])).toString('base64url');
    await expect(store.listCampaigns(accountId, { limit: 2, after: forged })).rejects.toThrow(/not a cursor this API returned/);
  });

  test('a local-time campaign is due at that time of day in each contact\'s timezone, today if still ahead', async () => {
    const campaign = await campaignFor(
      [
        contact('t-utc', { timezone: 'UTC' }),
        contact('t-none'),
        contact('t-tokyo', { timezone: 'Asia/Tokyo' }),
        contact('t-ny', { timezone: 'America/New_York' }),
      ],
      ['email'],
      { localTime: '13:30' },
    );
    await store.planPage(campaign, 0, 100, NOW); // 12:00 UTC = 21:00 Tokyo = 08:00 New York (EDT)
    const due = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(due.items.map((d) => d.contactId)).toEqual(['t-utc', 't-none', 't-tokyo', 't-ny']);
    expect(await store.nextPlannedAt(campaign.id)).toEqual(new Date('2026-03-10T13:30:00Z'));
    // Only what is due by `now` can be claimed: UTC at 13:30 UTC, New York at 17:30 UTC, Tokyo the next day.
    const at = async (iso: string) => {
      const claimed = await store.claimLease(campaign.id, 'email', `k-${iso}`, 10, new Date(iso));
      await store.recordResults(campaign, claimed.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent', providerMessageId: null })));
      return claimed;
    };
    expect(await at('2026-03-10T13:29:59Z')).toHaveLength(0);
    expect((await at('2026-03-10T13:30:00Z')).map((d) => d.contact.id)).toEqual(['t-utc', 't-none']);
    expect((await at('2026-03-10T17:30:00Z')).map((d) => d.contact.id)).toEqual(['t-ny']);
    expect(await store.nextPlannedAt(campaign.id)).toEqual(new Date('2026-03-11T04:30:00Z'));
  });

  test('marking unsent writes one notSent event per delivery of its channel, and only once', async () => {
    const campaign = await campaignFor(
      [contact('n1', { phone: '+48500100301' }), contact('n2', { phone: '+48500100302' }), contact('n3')],
      ['email', 'sms'],
    );
    await store.planPage(campaign, 0, 100, NOW);
    const [sent] = await store.claimLease(campaign.id, 'email', 'k', 1, NOW);
    await store.recordResults(campaign, [{ id: sent!.id, contactId: sent!.contact.id, state: 'sent', providerMessageId: 'pm' }]);
    const [doubt] = await store.claimLease(campaign.id, 'email', 'lost', 1, NOW);
    await store.recordResults(campaign, [{ id: doubt!.id, contactId: doubt!.contact.id, state: 'inDoubt' }]);

    const first = await store.markUnsent(campaign, 'stopped', 3);
    const rest = await store.markUnsent(campaign, 'stopped', 100);
    const sum = (ch: 'email' | 'sms') => (first[ch] ?? 0) + (rest[ch] ?? 0);
    // An inDoubt delivery may have arrived: it is not called unsent.
    expect([sum('email'), sum('sms')]).toEqual([1, 2]);
    expect(Object.values(first).reduce((a, b) => a + b, 0)).toBe(3);
    expect(await store.markUnsent(campaign, 'stopped', 100)).toEqual({});
    const counts = await store.countDeliveries(campaign.id);
    expect(counts.total).toEqual({ planned: 5, sent: 1, notSent: 3, pending: 0, failed: 0, inDoubt: 1 });
    const events = await store.listEvents(accountId, { limit: 20, campaignId: campaign.id, type: 'sms.notSent' });
    expect(events.items.map((e) => [e.contactId, e.reason]).sort()).toEqual([
      ['n1', 'stopped'],
      ['n2', 'stopped'],
    ]);
    expect((await store.listEvents(accountId, { limit: 20, campaignId: campaign.id, type: 'message.notSent' })).items).toHaveLength(1);
  });

  test('recall lists only sent messages the provider can still take back; a cancel moves the counts and emits notSent', async () => {
    const campaign = await campaignFor([contact('v1'), contact('v2'), contact('v3')]);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimLease(campaign.id, 'email', 'k', 10, NOW);
    await store.recordResults(
      campaign,
      claimed.map((d, i) => ({ id: d.id, contactId: d.contact.id, state: 'sent', providerMessageId: `pm-${i}`, providerStatus: i < 2 ? 'queued' : 'sent' })),
    );
    // Only what was handed over since the provider's hold window began is worth asking about.
    expect(await store.listRecallable(campaign.id, 'email', ['queued'], new Date(Date.now() + 60_000), 0, 10)).toEqual([]);
    expect(await store.listRecallable(campaign.id, 'email', ['queued', 'scheduled'], new Date(0), 0, 10)).toEqual([
      { id: claimed[0]!.id, providerMessageId: 'pm-0', contactId: 'v1' },
      { id: claimed[1]!.id, providerMessageId: 'pm-1', contactId: 'v2' },
    ]);
    await store.recordCancelled(campaign, [claimed[0]!.id]);
    await store.recordCancelled(campaign, [claimed[0]!.id]);
    const deliveries = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(deliveries.items.map((d) => [d.contactId, d.state, d.reason])).toEqual([
      ['v1', 'notSent', 'provider_cancelled'],
      ['v2', 'sent', null],
      ['v3', 'sent', null],
    ]);
    expect((await store.countDeliveries(campaign.id)).total).toMatchObject({ sent: 2, notSent: 1 });
    expect((await store.listEvents(accountId, { limit: 10, campaignId: campaign.id, type: 'message.notSent' })).items).toHaveLength(1);
  });

  test('a copy leaves out contacts the original was sent to, and no one else', async () => {
    const original = await campaignFor([contact('w1'), contact('w2'), contact('w3')]);
    await store.planPage(original, 0, 100, NOW);
    const [first] = await store.claimLease(original.id, 'email', 'k', 1, NOW);
    await store.recordResults(original, [{ id: first!.id, contactId: 'w1', state: 'sent', providerMessageId: 'pm' }]);
    const copy = await store.createCampaign(accountId, {
      name: 'copy',
      audienceId: original.audienceId,
      channels: original.channels,
      excludeSentOf: [original.id],
    });
    expect(copy).toMatchObject({ excludeSentOf: [original.id], copiedFrom: original.id });
    await store.planPage(copy, 0, 100, NOW);
    const planned = await store.listDeliveries(copy.id, { limit: 10 });
    expect(planned.items.map((d) => d.contactId)).toEqual(['w2', 'w3']);
  });
  test('the brake records when and by whom it changed; a repeat changes nothing; it holds a campaign only while on', async () => {
    const campaign = await campaignFor([contact('b1')]);
    expect(await store.getBrake(accountId)).toEqual({ on: false, since: null, by: null });
    expect(await store.holdForBrake(campaign.id, 'Paused')).toMatchObject({ on: false });
    expect(await store.getCampaign(accountId, campaign.id)).toMatchObject({ status: 'Draft', heldByBrake: false });

    const on = await store.setBrake(accountId, true, 'key_a', NOW);
    expect(on).toEqual({ on: true, since: NOW, by: 'key_a' });
    expect(await store.setBrake(accountId, true, 'key_b', new Date(NOW.getTime() + 1000))).toEqual(on);
    expect(await store.holdForBrake(campaign.id, 'Paused')).toEqual(on);
    expect(await store.getCampaign(accountId, campaign.id)).toMatchObject({ status: 'Paused', heldByBrake: true });
    expect(await store.campaignIdsWhere(accountId, { statuses: ['Paused'], heldByBrake: true })).toEqual([campaign.id]);

    // Any status the workflow records afterwards means the brake no longer holds it.
    await store.recordStatus(campaign.id, 'Sending', NOW);
    expect(await store.campaignIdsWhere(accountId, { statuses: ['Paused', 'Sending'], heldByBrake: true })).toEqual([]);
    const off = await store.setBrake(accountId, false, 'key_b', new Date(NOW.getTime() + 2000));
    expect(off).toEqual({ on: false, since: new Date(NOW.getTime() + 2000), by: 'key_b' });
  });

  test('marking unsent with a planned-before time leaves newer deliveries pending', async () => {
    const campaign = await campaignFor([contact('e1'), contact('e2')]);
    await store.planPage(campaign, 0, 1, new Date('2026-03-01T00:00:00Z'));
    await store.planPage(campaign, (await store.planPage(campaign, 0, 1, NOW)).nextCursor!, 1, NOW);
    expect(await store.markUnsent(campaign, 'brake_expired', 100, new Date('2026-03-03T00:00:00Z'))).toEqual({ email: 1 });
    const rows = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(rows.items.map((d) => [d.contactId, d.state, d.reason])).toEqual([
      ['e1', 'notSent', 'brake_expired'],
      ['e2', 'pending', null],
    ]);
  });

  test('deleted campaigns leave the campaign list unless asked for', async () => {
    const kept = await campaignFor([contact('d1')]);
    const gone = await campaignFor([contact('d2')]);
    await store.recordStatus(gone.id, 'Cancelled', NOW, { deleted: true });
    expect((await store.listCampaigns(accountId, { limit: 10 })).items.map((c) => c.id)).toEqual([kept.id]);
    const all = await store.listCampaigns(accountId, { limit: 10, includeDeleted: true });
    expect(all.items.map((c) => c.id).sort()).toEqual([kept.id, gone.id].sort());
    expect(all.items.find((c) => c.id === gone.id)?.deletedAt).toEqual(NOW);
  });

  // Each aggregate's part of the store, through the same Store on both engines: what the tests above leave out.

  test('rate-limit hits count per bucket and window for every caller; a new window starts at one; reading counts nothing', async () => {
    // Windows near now: the store forgets buckets idle for an hour.
    const window = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const next = new Date(window.getTime() + 60_000);
    const bucket = `ip:${accountId}`;
    expect(await store.countHit(bucket, window)).toBe(1);
    expect(await store.countHit(bucket, window)).toBe(2);
    expect(await store.hitsIn(bucket, window)).toBe(2);
    expect(await store.hitsIn(bucket, window)).toBe(2);
    expect(await store.countHit(`${bucket}/other`, window)).toBe(1);
    expect(await store.countHit(bucket, next)).toBe(1);
    expect(await store.hitsIn(bucket, window)).toBe(0);
    expect(await store.hitsIn(bucket, next)).toBe(1);
  });

  test("a contact reads by id in its account only, is found by part of its id, email or phone, and is suppressed on a channel once", async () => {
    await store.upsertContacts(accountId, [contact('s1', { phone: '+48500100200', timezone: 'Europe/Warsaw' }), contact('s_2'), contact('s32')]);
    expect(await store.getContact(accountId, 's1')).toEqual({ ...contact('s1'), phone: '+48500100200', timezone: 'Europe/Warsaw' });
    const other = await store.createAccount('other');
    expect(await store.getContact(other.accountId, 's1')).toBeNull();
    expect(await store.listContacts(other.accountId, { limit: 10 })).toEqual({ items: [], next: null });

    const ids = async (q: string) => (await store.listContacts(accountId, { limit: 10, q })).items.map((c) => c.id);
    expect(await ids('S_')).toEqual(['s_2']); // LIKE's wildcard taken literally
    expect(await ids('0100')).toEqual(['s1']);
    expect(await ids('EXAMPLE.COM')).toEqual(['s1', 's_2', 's32']);
    const first = await store.listContacts(accountId, { limit: 2 });
    const second = await store.listContacts(accountId, { limit: 2, after: first.next! });
    expect([first.items.map((c) => c.id), second.items.map((c) => c.id), second.next]).toEqual([['s1', 's_2'], ['s32'], null]);

    expect(await store.suppressContact(accountId, 's1', 'email')).toBe(true);
    expect(await store.suppressContact(accountId, 's1', 'email')).toBe(true);
    expect(await store.suppressContact(other.accountId, 's1', 'sms')).toBe(false);
    expect(await store.suppressContact(accountId, 'ghost', 'email')).toBe(false);
    expect((await store.getContact(accountId, 's1'))?.suppressed).toEqual(['email']);
  });

  test('an audience reads back with its size in its account only; audiences list oldest first', async () => {
    await store.upsertContacts(accountId, [contact('m1'), contact('m2'), contact('m3')]);
    const list = await store.createAudience(accountId, 'two', { type: 'list', contactIds: ['m1', 'm3', 'm1'] });
    const everyone = await store.createAudience(accountId, 'all', { type: 'filter', all: [] });
    expect(list).toMatchObject({ name: 'two', type: 'list', conditions: [], size: 2 });
    expect(await store.getAudience(accountId, everyone.id)).toEqual(everyone);
    expect(everyone.size).toBe(3);
    expect((await store.listAudiences(accountId)).map((a) => a.name)).toEqual(['two', 'all']);
    const other = await store.createAccount('other');
    expect(await store.getAudience(other.accountId, list.id)).toBeNull();
    expect(await store.listAudiences(other.accountId)).toEqual([]);
  });

  test("a campaign loads without its account for the workflow; its control report is kept and read by its account only", async () => {
    const campaign = await campaignFor([contact('c1')]);
    expect(await store.loadCampaign(campaign.id)).toEqual(campaign);
    expect(await store.loadCampaign('cmp_ghost')).toBeNull();
    expect(await store.getReport(accountId, campaign.id)).toBeNull();
    const report: ControlReport = {
      campaignId: campaign.id,
      action: 'stop',
      requestedBy: 'key_a',
      requestedAt: NOW.toISOString(),
      answeredAt: NOW.toISOString(),
      completedAt: null,
      from: 'Sending',
      steps: [],
      counts: { planned: 1, pending: 0, sent: 0, notSent: 1, failed: 0, inDoubt: 0 },
      byChannel: { email: { planned: 1, pending: 0, sent: 0, notSent: 1, failed: 0, inDoubt: 0 } },
    };
    await store.saveReport(campaign.id, report);
    expect(await store.getReport(accountId, campaign.id)).toEqual(report);
    expect(await store.getReport((await store.createAccount('other')).accountId, campaign.id)).toBeNull();
    // A completed report is final: an earlier one saved late (a worker that was cut off running a stale workflow
    // task's local activity) does not replace it.
    const completed = { ...report, completedAt: NOW.toISOString(), steps: [{ step: 'final_counts' as const, at: NOW.toISOString(), result: 'done' }] };
    await store.saveReport(campaign.id, completed);
    await store.saveReport(campaign.id, report);
    expect(await store.getReport(accountId, campaign.id)).toEqual(completed);
  });

  test('planned campaigns list soonest first, by their next pending delivery or else their scheduled time', async () => {
    const later = await campaignFor([contact('n1')]);
    await store.updateCampaign(accountId, later.id, ['Draft'], { status: 'Scheduled', scheduledAt: new Date(NOW.getTime() + 3_600_000) });
    const sending = await campaignFor([contact('n2')]);
    await store.planPage(sending, 0, 10, NOW);
    await store.recordStatus(sending.id, 'Sending', NOW);
    const gone = await campaignFor([contact('n3')]);
    await store.updateCampaign(accountId, gone.id, ['Draft'], { status: 'Scheduled', scheduledAt: NOW });
    await store.recordStatus(gone.id, 'Scheduled', NOW, { deleted: true });
    await campaignFor([contact('n4')]); // a draft

    const planned = await store.listPlanned(accountId, ['Scheduled', 'Sending']);
    expect(planned.map((c) => [c.id, c.nextPlannedAt])).toEqual([
      [sending.id, NOW],
      [later.id, new Date(NOW.getTime() + 3_600_000)],
    ]);
  });

  test('counts of several campaigns come in one read, with zeros for a campaign without deliveries; what just went counts in the rate', async () => {
    const busy = await campaignFor([contact('t1'), contact('t2'), contact('t3')]);
    const idle = await campaignFor([contact('t4')]);
    await store.planPage(busy, 0, 10, NOW);
    await store.analyzeDeliveries();
    const claimed = await store.claimLease(busy.id, 'email', 'k', 2, NOW);
    await store.recordResults(busy, [
      { id: claimed[0]!.id, contactId: claimed[0]!.contact.id, state: 'sent', providerMessageId: 'm1' },
      { id: claimed[1]!.id, contactId: claimed[1]!.contact.id, state: 'failed', error: 'no' },
    ]);
    const counts = await store.countDeliveriesOf([busy.id, idle.id]);
    expect(counts.get(busy.id)?.byChannel.email).toEqual({ planned: 3, pending: 1, sent: 1, notSent: 0, failed: 1, inDoubt: 0 });
    expect(counts.get(idle.id)).toEqual({ total: { planned: 0, pending: 0, sent: 0, notSent: 0, failed: 0, inDoubt: 0 }, byChannel: {} });
    const rate = await store.recentlyDone([busy.id, idle.id]);
    expect([rate.get(busy.id), rate.get(idle.id)]).toEqual([2, undefined]);

    const events = await store.listEvents(accountId, { limit: 1, campaignId: busy.id });
    const rest = await store.listEvents(accountId, { limit: 1, campaignId: busy.id, after: events.next! });
    expect([...events.items, ...rest.items].map((e) => e.type).sort()).toEqual(['message.failed', 'message.sent']);
    expect((await store.listEvents(accountId, { limit: 10, type: 'message.sent' })).items.map((e) => e.contactId)).toEqual([
      claimed[0]!.contact.id,
    ]);
  });

  test("provider settings are one per account and channel: replaced in place, listed by channel, deleted once, another account's unseen", async () => {
    expect(await store.getProviderSettings(accountId, 'sms')).toBeNull();
    const first = await store.putProviderSettings(accountId, { channel: 'sms', kind: 'twilio', config: { from: '+1555' }, sealedSecrets: 'sealed-1' });
    await store.putProviderSettings(accountId, { channel: 'email', kind: 'smtp', config: { host: 'mx' }, sealedSecrets: null });
    const replaced = await store.putProviderSettings(accountId, { channel: 'sms', kind: 'vonage', config: { from: '+1556' }, sealedSecrets: 'sealed-2' });
    expect(replaced).toMatchObject({ channel: 'sms', kind: 'vonage', config: { from: '+1556' }, sealedSecrets: 'sealed-2' });
    expect(replaced.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(await store.getProviderSettings(accountId, 'sms')).toEqual(replaced);
    expect((await store.listProviderSettings(accountId)).map((p) => [p.channel, p.kind, p.sealedSecrets])).toEqual([
      ['email', 'smtp', null],
      ['sms', 'vonage', 'sealed-2'],
    ]);
    const other = await store.createAccount('other');
    expect(await store.getProviderSettings(other.accountId, 'sms')).toBeNull();
    expect(await store.deleteProviderSettings(other.accountId, 'sms')).toBe(false);
    expect(await store.deleteProviderSettings(accountId, 'sms')).toBe(true);
    expect(await store.deleteProviderSettings(accountId, 'sms')).toBe(false);
    expect((await store.listProviderSettings(accountId)).map((p) => p.channel)).toEqual(['email']);
  });

  test("the audit log lists an account's entries oldest first by cursor, with their detail only when given", async () => {
    await store.audit(accountId, { actor: 'key_a', action: 'campaign.stop', target: 'cmp_1', result: 'ok', detail: { from: 'Sending' } });
    await store.audit(accountId, { actor: 'key_b', action: 'brake.on', target: null, result: 'refused' });
    await store.audit((await store.createAccount('other')).accountId, { actor: 'key_c', action: 'key.create', target: null, result: 'ok' });
    const first = await store.listAudit(accountId, { limit: 1 });
    const second = await store.listAudit(accountId, { limit: 1, after: first.next! });
    const third = await store.listAudit(accountId, { limit: 1, after: second.next! });
    const entries = [...first.items, ...second.items];
    expect(entries.map(({ id: _id, at: _at, ...entry }) => entry)).toEqual([
      { actor: 'key_a', action: 'campaign.stop', target: 'cmp_1', result: 'ok', detail: { from: 'Sending' } },
      { actor: 'key_b', action: 'brake.on', target: null, result: 'refused' },
    ]);
    // Stamped by the database as written (the embedded engine's dates come from its own thread, so compare times).
    for (const entry of entries) expect(Math.abs(entry.at.getTime() - Date.now())).toBeLessThan(60_000);
    expect(entries[1]!.id).toBeGreaterThan(entries[0]!.id);
    expect(third).toEqual({ items: [], next: null });
  });

  test('the store answers a readiness ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
  test("an account provider's slots form one timeline: blocks booked together never overlap, and an idle one starts now", async () => {
    const interval = 5;
    const blocks = await Promise.all([1, 2, 3, 4].map(() => store.bookProviderSlots(accountId, 'sms', 10, interval)));
    const starts = blocks.map((b) => b.firstAt).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeCloseTo(10 * interval, 6);
    // The first block starts at the store's clock when it was booked: an idle timeline saves up no burst.
    const first = blocks.find((b) => b.firstAt === starts[0])!;
    expect(first.firstAt).toBe(first.storeNow);
    // Another channel has its own timeline; once the booked slots are past, a block starts at the store's now again.
    const email = await store.bookProviderSlots(accountId, 'email', 1, interval);
    expect(email.firstAt).toBe(email.storeNow);
    await new Promise((resolve) => setTimeout(resolve, 4 * 10 * interval + 20));
    const later = await store.bookProviderSlots(accountId, 'sms', 2, interval);
    expect(later.firstAt).toBe(later.storeNow);
    expect(later.count).toBe(2);
  });

  test("an account provider's concurrency is leased in fair shares that never add up to more than the limit", async () => {
    const ask = (holder: string, wanted: number, inFlight = 0, ttlMs = 60_000) => store.leaseProviderPermits(accountId, 'sms', { holder, inFlight, wanted, limit: 10, ttlMs });
    expect(await ask('a', 10)).toBe(10);
    // Another holder comes: nothing is free yet, and the first one's fair part is now half.
    expect(await ask('b', 10)).toBe(0);
    expect(await ask('a', 10, 10)).toBe(5);
    // Its ten calls still count until they finish: only then is there room for the second.
    expect(await ask('b', 10)).toBe(0);
    expect(await ask('a', 10, 5)).toBe(5);
    expect(await ask('b', 10)).toBe(5);
    // Given back, a share is free for the others; an expired lease too (a worker that died).
    expect(await ask('a', 0, 0)).toBe(0);
    expect(await ask('b', 10, 5)).toBe(10);
    expect(await ask('c', 10, 0, 500)).toBe(0);
    expect(await ask('b', 10, 10)).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await ask('b', 10, 5)).toBe(10);
  });
});

describe.each(STORE_KINDS)('store rows written by hand (%s)', (kind) => {
  let db: SqlClient;
  let store: Store;
  let drop = async () => {};

  // The store over a client the test holds too, to set what no Store call can (a row's creation time).
  beforeAll(async () => {
    if (kind === 'embedded') {
      db = await openEmbeddedClient(undefined);
    } else {
      const database = await createTestDatabase();
      db = openPostgresClient(database.url);
      drop = database.drop;
    }
    await migrate(db);
    store = sqlStore(db);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  test('paging campaigns skips none created in the same millisecond as the last of a page', async () => {
    const { accountId } = await store.createAccount('acme');
    await store.upsertContacts(accountId, [contact('x')]);
    const audience = await store.createAudience(accountId, 'a', { type: 'list', contactIds: ['x'] });
    const created = ['.123456', '.123200', '.100000'];
    for (const [i, fraction] of created.entries()) {
      const campaign = await store.createCampaign(accountId, { name: `c${i}`, audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
      await db.query('UPDATE campaigns SET created_at = $2 WHERE id = $1', [campaign.id, `2026-03-10T12:00:00${fraction}Z`]);
    }
    const names: string[] = [];
    let after: string | undefined;
    do {
      const page = await store.listCampaigns(accountId, { limit: 1, after });
      names.push(...page.items.map((c) => c.name));
      after = page.next ?? undefined;
    } while (after);
    expect(names).toEqual(['c0', 'c1', 'c2']);
  });
});
