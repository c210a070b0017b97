/** The store behaves the same on the embedded engine (PGlite) and on PostgreSQL. */
import { STORE_KINDS, openTestStore } from '../helpers';
import type { Contact } from '../../src/domain/types';
import type { Store } from '../../src/store';

const contact = (id: string, extra: Partial<Contact> = {}): Contact => ({
  id,
  email: `${id}@example.com`,
  pushTokens: [],
  webPushSubscriptions: [],
  attributes: {},
  suppressed: [],
  ...extra,
});

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

  async function campaignFor(contacts: Contact[], channels: Contact['suppressed'] = ['email']) {
    await store.upsertContacts(accountId, contacts);
    const audience = await store.createAudience(accountId, 'a', { type: 'list', contactIds: contacts.map((c) => c.id) });
    return store.createCampaign(accountId, {
      name: 'c',
      audienceId: audience.id,
      channels: channels.map((channel) => ({ channel, subject: 's', body: 'b' })),
    });
  }

  test('API keys are stored hashed and resolve to their account', async () => {
    const { apiKey, keyId } = await store.createAccount('other');
    const principal = await store.authenticate(apiKey);
    expect(principal?.keyId).toBe(keyId);
    expect(await store.authenticate(`${apiKey}x`)).toBeNull();
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
    const first = await store.planPage(campaign, 0, 10);
    const again = await store.planPage(campaign, 0, 10);
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
      const page = await store.planPage(campaign, cursor, 10);
      planned += page.planned;
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(planned).toBe(25);
  });

  test('a claim takes pending deliveries once; a retry with the same key takes back only what it left unfinished', async () => {
    const campaign = await campaignFor(Array.from({ length: 5 }, (_, i) => contact(`r${i}`)));
    await store.planPage(campaign, 0, 100);
    const a = await store.claimBatch(campaign.id, 'email', 'batch-a', 3, false);
    const b = await store.claimBatch(campaign.id, 'email', 'batch-b', 3, false);
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    expect(new Set([...a, ...b].map((d) => d.id)).size).toBe(5);

    await store.recordResults(campaign, [{ id: a[0]!.id, state: 'sent', providerMessageId: 'pm-1' }]);
    const retried = await store.claimBatch(campaign.id, 'email', 'batch-a', 3, true);
    expect(retried.map((d) => d.id)).toEqual([a[1]!.id, a[2]!.id]);
    expect(retried[0]!.contact.email).toBe(a[1]!.contact.email);
  });

  test('recording results is idempotent and emits one event per delivery with the channel prefix', async () => {
    const campaign = await campaignFor([contact('s1', { phone: '+48500100201' }), contact('s2', { phone: '+48500100202' })], ['sms']);
    await store.planPage(campaign, 0, 100);
    const claimed = await store.claimBatch(campaign.id, 'sms', 'k', 10, false);
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
    await store.planPage(campaign, 0, 100);
    await store.claimBatch(campaign.id, 'email', 'dead-batch', 10, false);
    expect(await store.releaseOrphans(campaign.id)).toBe(2);
    expect((await store.countDeliveries(campaign.id)).total.pending).toBe(2);
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
});
