/** Receipts in the store, on PGlite and PostgreSQL: matched once, late ones matched later, other accounts untouched. */
import { STORE_KINDS, openTestStore } from '../helpers';
import type { Contact } from '../../src/domain/types';
import type { Store } from '../../src/store';
import type { InboundReceipt } from '../../src/store/receipts';

const contact = (id: string): Contact => ({ id, email: `${id}@example.com`, pushTokens: [], webPushSubscriptions: [], attributes: {}, suppressed: [] });
const NOW = new Date('2026-03-10T12:00:00Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000);

describe.each(STORE_KINDS)('receipts (%s)', (kind) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(() => store.close());

  /** An account with a campaign whose email deliveries to `ids` were sent, provider message id `pm-<id>`. */
  async function sentCampaign(ids: string[], pm = (id: string) => `pm-${id}`) {
    const { accountId } = await store.createAccount('acme');
    await store.upsertContacts(accountId, ids.map(contact));
    const audience = await store.createAudience(accountId, 'a', { type: 'list', contactIds: ids });
    const campaign = await store.createCampaign(accountId, { name: 'c', audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
    await store.planPage(campaign, 0, 100, NOW);
    const claimed = await store.claimLease(campaign.id, 'email', 'k', 100, NOW);
    await store.recordResults(
      campaign,
      claimed.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent' as const, providerMessageId: pm(d.contact.id) })),
    );
    return { accountId, campaign, claimed };
  }
  const receipt = (eventId: string, providerMessageId: string, extra: Partial<InboundReceipt> = {}): InboundReceipt => ({
    eventId,
    channel: 'email',
    providerMessageId,
    outcome: 'delivered',
    at: at(1),
    ...extra,
  });

  test('each receipt sets its delivery, emits one event, and a replay counts once', async () => {
    const { accountId, campaign } = await sentCampaign(['a', 'b', 'c']);
    const batch = [
      receipt('e1', 'pm-a'),
      receipt('e2', 'pm-b', { outcome: 'bounced', bounce: 'hard', reason: '550 5.1.1 unknown user', suppress: true, at: at(2) }),
      receipt('e3', 'pm-c'),
      receipt('e4', 'pm-c', { outcome: 'complained', suppress: true, at: at(5) }),
    ];
    expect(await store.receipts.ingest(accountId, 'sendgrid', batch)).toEqual({ received: 4, duplicates: 0, matched: 4 });
    expect(await store.receipts.ingest(accountId, 'sendgrid', batch)).toEqual({ received: 0, duplicates: 4, matched: 0 });
    const counts = (await store.receipts.countsOf([campaign.id])).get(campaign.id)!;
    expect(counts.total).toEqual({ delivered: 2, undelivered: 0, bounced: 1, complained: 1, unsubscribed: 0 });
    expect(counts.byChannel.email).toEqual(counts.total);
    const events = (await store.listEvents(accountId, { limit: 100, campaignId: campaign.id })).items.filter((e) => !e.type.endsWith('.sent'));
    expect(events.map((e) => `${e.type}/${e.contactId}`).sort()).toEqual(['message.bounced/b', 'message.complained/c', 'message.delivered/a', 'message.delivered/c']);
    expect(events.find((e) => e.type === 'message.bounced')).toMatchObject({ provider: 'sendgrid', bounce: 'hard', reason: '550 5.1.1 unknown user', at: at(2) });
    // The hard bounce and the complaint suppress their contacts on email, with the cause.
    expect(await store.receipts.suppressions(accountId, 'b')).toEqual([
      { channel: 'email', cause: 'hard_bounce', provider: 'sendgrid', reason: '550 5.1.1 unknown user', at: at(2) },
    ]);
    expect((await store.receipts.suppressions(accountId, 'c'))[0]).toMatchObject({ channel: 'email', cause: 'complaint' });
    expect(await store.receipts.suppressions(accountId, 'a')).toEqual([]);
    const bounced = await store.receipts.listDeliveries(campaign.id, 'bounced', { limit: 10 });
    expect(bounced.items.map((d) => d.contactId)).toEqual(['b']);
  });

  test('the same event twice in one batch (two requests ingested together) counts once', async () => {
    const { accountId, campaign } = await sentCampaign(['a', 'b']);
    const batch = [receipt('t1', 'pm-a'), receipt('t2', 'pm-b', { outcome: 'bounced', bounce: 'hard', suppress: true }), receipt('t1', 'pm-a')];
    expect(await store.receipts.ingest(accountId, 'twilio', batch)).toEqual({ received: 2, duplicates: 1, matched: 2 });
    expect((await store.receipts.countsOf([campaign.id])).get(campaign.id)!.total).toMatchObject({ delivered: 1, bounced: 1 });
    const events = (await store.listEvents(accountId, { limit: 100, campaignId: campaign.id })).items.filter((e) => !e.type.endsWith('.sent'));
    expect(events.map((e) => `${e.type}/${e.contactId}`).sort()).toEqual(['message.bounced/b', 'message.delivered/a']);
    expect((await store.getContact(accountId, 'b'))!.suppressed).toEqual(['email']);
  });

  test('a later fate wins over an earlier one, whatever order they arrive in', async () => {
    const { accountId, campaign, claimed } = await sentCampaign(['a']);
    await store.receipts.ingest(accountId, 'mailgun', [receipt('late', 'pm-a', { outcome: 'bounced', bounce: 'soft', at: at(10) })]);
    await store.receipts.ingest(accountId, 'mailgun', [receipt('early', 'pm-a', { at: at(1) })]);
    const got = (await store.receipts.ofDeliveries([claimed[0]!.id])).get(claimed[0]!.id);
    expect(got).toMatchObject({ outcome: 'bounced', bounce: 'soft', at: at(10) });
    expect((await store.receipts.countsOf([campaign.id])).get(campaign.id)!.total).toMatchObject({ delivered: 0, bounced: 1 });
    // A soft bounce does not suppress.
    expect(await store.receipts.suppressions(accountId, 'a')).toEqual([]);
  });

  test('a receipt that comes before the send is recorded is matched by a later pass', async () => {
    const { accountId } = await store.createAccount('early');
    await store.upsertContacts(accountId, [contact('z')]);
    expect(await store.receipts.ingest(accountId, 'postmark', [receipt('e1', 'pm-early')])).toEqual({ received: 1, duplicates: 0, matched: 0 });
    expect(await store.receipts.matchPending(accountId)).toBe(0);
    const audience = await store.createAudience(accountId, 'a', { type: 'list', contactIds: ['z'] });
    const campaign = await store.createCampaign(accountId, { name: 'c', audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
    await store.planPage(campaign, 0, 10, NOW);
    const [d] = await store.claimLease(campaign.id, 'email', 'k', 10, NOW);
    await store.recordResults(campaign, [{ id: d!.id, contactId: 'z', state: 'sent', providerMessageId: 'pm-early' }]);
    expect(await store.receipts.accountsWithPending()).toContain(accountId);
    expect(await store.receipts.matchPending(accountId)).toBe(1);
    expect(await store.receipts.matchPending(accountId)).toBe(0);
    expect(await store.receipts.accountsWithPending()).not.toContain(accountId);
    expect((await store.receipts.countsOf([campaign.id])).get(campaign.id)!.total.delivered).toBe(1);
  });

  test("a receipt of one account never touches another account's delivery with the same provider message id", async () => {
    const victim = await sentCampaign(['v'], () => 'pm-shared');
    const { accountId: attacker } = await store.createAccount('other');
    const result = await store.receipts.ingest(attacker, 'sendgrid', [receipt('x1', 'pm-shared', { outcome: 'bounced', bounce: 'hard', suppress: true })]);
    expect(result.matched).toBe(0);
    expect((await store.receipts.countsOf([victim.campaign.id])).get(victim.campaign.id)!.total.bounced).toBe(0);
    expect((await store.getContact(victim.accountId, 'v'))!.suppressed).toEqual([]);
  });

  test('receipt route tokens are made once per account and kind and resolve to their account only', async () => {
    const { accountId } = await store.createAccount('tokens');
    const token = await store.receipts.endpointToken(accountId, 'sendgrid');
    expect(token).toMatch(/^[\w-]{32}$/);
    expect(await store.receipts.endpointToken(accountId, 'sendgrid')).toBe(token);
    expect(await store.receipts.endpointToken(accountId, 'twilio')).not.toBe(token);
    expect(await store.receipts.accountOfEndpoint('sendgrid', token)).toBe(accountId);
    expect(await store.receipts.accountOfEndpoint('twilio', token)).toBeNull();
  });

  test('a signature token is bound to its first event, per account, until it expires', async () => {
    const [{ accountId: a }, { accountId: b }] = [await store.createAccount('t1'), await store.createAccount('t2')];
    expect(await store.receipts.bindToken(a, 'mailgun', 'tok', 'ev-1', at(0))).toBe(true);
    expect(await store.receipts.bindToken(a, 'mailgun', 'tok', 'ev-1', at(0))).toBe(true);
    expect(await store.receipts.bindToken(a, 'mailgun', 'tok', 'ev-2', at(0))).toBe(false);
    expect(await store.receipts.bindToken(b, 'mailgun', 'tok', 'ev-2', at(0))).toBe(true);
    expect(await store.receipts.bindToken(a, 'mailgun', 'later', 'ev-3', at(60))).toBe(true);
    expect(await store.receipts.expireTokens(at(30))).toBe(2);
    expect(await store.receipts.bindToken(a, 'mailgun', 'tok', 'ev-2', at(0))).toBe(true);
    expect(await store.receipts.bindToken(a, 'mailgun', 'later', 'ev-4', at(60))).toBe(false);
  });
});
