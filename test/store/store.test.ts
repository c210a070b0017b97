/** The store behaves the same on the embedded engine (PGlite) and on PostgreSQL. */
import { STORE_KINDS, openTestStore } from '../helpers';
import type { Contact } from '../../src/domain/types';
import type { Store } from '../../src/store';
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
    expect(counts.total).toEqual({ planned: 3, pending: 2, sending: 0, sent: 0, notSent: 1, failed: 0 });
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

  test('a claim takes pending deliveries once; a retry with the same key takes back only what it left unfinished', async () => {
    const campaign = await campaignFor(Array.from({ length: 5 }, (_, i) => contact(`r${i}`)));
    await store.planPage(campaign, 0, 100, NOW);
    const a = await store.claimBatch(campaign.id, 'email', 'batch-a', 3, false, NOW);
    const b = await store.claimBatch(campaign.id, 'email', 'batch-b', 3, false, NOW);
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    expect(new Set([...a, ...b].map((d) => d.id)).size).toBe(5);

    await store.recordResults(campaign, [{ id: a[0]!.id, state: 'sent', providerMessageId: 'pm-1' }]);
    const retried = await store.claimBatch(campaign.id, 'email', 'batch-a', 3, true, NOW);
    expect(retried.map((d) => d.id)).toEqual([a[1]!.id, a[2]!.id]);
    expect(retried[0]!.contact.email).toBe(a[1]!.contact.email);
  });

  test('recording results is idempotent and emits one event per delivery with the channel prefix', async () => {
    const campaign = await campaignFor([contact('s1', { phone: '+48500100201' }), contact('s2', { phone: '+48500100202' })], ['sms']);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimBatch(campaign.id, 'sms', 'k', 10, false, NOW);
    const results = [
      { id: claimed[0]!.id, state: 'sent' as const, providerMessageId: 'SM1' },
      { id: claimed[1]!.id, state: 'failed' as const, error: 'invalid number' },
    ];
    await store.recordResults(campaign, results);
    await store.recordResults(campaign, results);
    const events = await store.listEvents(accountId, { limit: 10, campaignId: campaign.id });
    expect(events.items.map((e) => e.type).sort()).toEqual(['sms.failed', 'sms.sent']);
    const deliveries = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(deliveries.items.map((d) => [d.contactId, d.state, d.providerMessageId ?? d.error])).toEqual([
      ['s1', 'sent', 'SM1'],
      ['s2', 'failed', 'invalid number'],
    ]);
  });

  test('orphaned claims return to pending', async () => {
    const campaign = await campaignFor([contact('o1'), contact('o2')]);
    await store.planPage(campaign, 0, 100, NOW);
    await store.claimBatch(campaign.id, 'email', 'dead-batch', 10, false, NOW);
    expect(await store.releaseOrphans(campaign.id)).toBe(2);
    expect((await store.countDeliveries(campaign.id)).total.pending).toBe(2);
  });

  test('deliveries handed to a provider with no outcome are in doubt, wherever an orphan release put them', async () => {
    const campaign = await campaignFor([contact('d1'), contact('d2'), contact('d3'), contact('d4')]);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimBatch(campaign.id, 'email', 'dead-batch', 10, false, NOW);
    // The fourth is claimed but never handed: a stop may call it unsent.
    const [taken, refused, inFlight] = claimed.map((d) => d.id) as [number, number, number];
    await store.markHanded([taken, refused, inFlight], true);
    await store.recordResults(campaign, [{ id: taken, state: 'sent', providerMessageId: 'pm' }]);
    // The provider answered that it did not take this one: certain, not in doubt.
    await store.markHanded([refused], false);
    await store.releaseOrphans(campaign.id);

    const inDoubt = await store.claimInDoubt(campaign.id, 'email', 'settle', 10);
    expect(inDoubt.map((d) => d.id)).toEqual([inFlight]);
    expect(inDoubt[0]!.contact.id).toBe('d3');
    // Claimed under the settling key, it is not handed out twice.
    expect(await store.claimInDoubt(campaign.id, 'email', 'settle', 10)).toEqual([]);
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
    const at = (iso: string) => store.claimBatch(campaign.id, 'email', `k-${iso}`, 10, false, new Date(iso));
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
    const [sent] = await store.claimBatch(campaign.id, 'email', 'k', 1, false, NOW);
    await store.recordResults(campaign, [{ id: sent!.id, state: 'sent', providerMessageId: 'pm' }]);
    await store.claimBatch(campaign.id, 'sms', 'in-flight', 1, false, NOW);

    const first = await store.markUnsent(campaign, 'stopped', 3);
    const rest = await store.markUnsent(campaign, 'stopped', 100);
    const sum = (ch: 'email' | 'sms') => (first[ch] ?? 0) + (rest[ch] ?? 0);
    expect([sum('email'), sum('sms')]).toEqual([2, 2]);
    expect(Object.values(first).reduce((a, b) => a + b, 0)).toBe(3);
    expect(await store.markUnsent(campaign, 'stopped', 100)).toEqual({});
    const counts = await store.countDeliveries(campaign.id);
    expect(counts.total).toMatchObject({ planned: 5, sent: 1, notSent: 4, pending: 0, sending: 0 });
    const events = await store.listEvents(accountId, { limit: 20, campaignId: campaign.id, type: 'sms.notSent' });
    expect(events.items.map((e) => [e.contactId, e.reason]).sort()).toEqual([
      ['n1', 'stopped'],
      ['n2', 'stopped'],
    ]);
    expect((await store.listEvents(accountId, { limit: 20, campaignId: campaign.id, type: 'message.notSent' })).items).toHaveLength(2);
  });

  test('a sent delivery a provider took back becomes notSent(provider_cancelled); other results cannot undo a send', async () => {
    const campaign = await campaignFor([contact('v1'), contact('v2')]);
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimBatch(campaign.id, 'email', 'k', 10, false, NOW);
    await store.recordResults(
      campaign,
      claimed.map((d, i) => ({ id: d.id, state: 'sent', providerMessageId: `pm-${i}` })),
    );
    // Only what was handed over since the provider's hold window began is worth asking about.
    expect(await store.listHanded(campaign.id, 'email', new Date(Date.now() + 60_000), 0, 10)).toEqual([]);
    expect(await store.listHanded(campaign.id, 'email', new Date(0), 0, 10)).toEqual([
      { id: claimed[0]!.id, providerMessageId: 'pm-0' },
      { id: claimed[1]!.id, providerMessageId: 'pm-1' },
    ]);
    await store.recordResults(campaign, [
      { id: claimed[0]!.id, state: 'notSent', reason: 'provider_cancelled' },
      { id: claimed[1]!.id, state: 'notSent', reason: 'stopped' },
    ]);
    const deliveries = await store.listDeliveries(campaign.id, { limit: 10 });
    expect(deliveries.items.map((d) => [d.contactId, d.state, d.reason])).toEqual([
      ['v1', 'notSent', 'provider_cancelled'],
      ['v2', 'sent', null],
    ]);
  });

  test('a copy leaves out contacts the original was sent to, and no one else', async () => {
    const original = await campaignFor([contact('w1'), contact('w2'), contact('w3')]);
    await store.planPage(original, 0, 100, NOW);
    const [first] = await store.claimBatch(original.id, 'email', 'k', 1, false, NOW);
    await store.recordResults(original, [{ id: first!.id, state: 'sent', providerMessageId: 'pm' }]);
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
});
