/**
 * A provider's odd answer is stored safely: a NUL byte, control characters or a huge id in what it says ends as
 * a sent or failed delivery recorded once, and the message is never sent again.
 */
import { api, campaignEnded, newAccount, openTestStore, startHerald, STORE_KINDS } from '../helpers';
import { startLocalServer } from '../helpers/local-server';

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  test('a provider answering with NUL bytes leads to deliveries recorded once, never resent', async () => {
    const received = new Map<string, number>();
    const provider = await startLocalServer((req, res, body) => {
      const key = String(req.headers['idempotency-key']);
      received.set(key, (received.get(key) ?? 0) + 1);
      const { contactId } = JSON.parse(body.toString()) as { contactId: string };
      if (contactId === 'n1') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'msg\u0000-1\u0007' }));
      if (contactId === 'n2') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x'.repeat(100_000) }));
      return res.writeHead(400).end(`bad\u0000 request for ${contactId}\u0000`);
    });
    const herald = await startHerald({ title: `nul-${kind}`, store: await openTestStore(kind), allowedHosts: [new URL(provider.origin).host] });
    try {
      const { apiKey } = await newAccount(herald.store);
      const http = api(herald.app, apiKey);
      await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: `${provider.origin}/sms` } }).expect(200);
      await http.post('/v1/contacts', { contacts: ['n1', 'n2', 'n3'].map((id, i) => ({ id, phone: `+1415555000${i}` })) }).expect(200);
      const audience = await http.post('/v1/audiences', { name: 'n', type: 'list', contactIds: ['n1', 'n2', 'n3'] }).expect(201);
      const created = await http.post('/v1/campaigns', { name: 'NUL', audienceId: audience.body.id, channels: [{ channel: 'sms', body: 'hi' }] }).expect(201);
      await http.post(`/v1/campaigns/${created.body.id}/send`).expect(202);
      const done = await campaignEnded(herald.app, apiKey, created.body.id);
      expect(done.counts).toMatchObject({ planned: 3, sent: 2, failed: 1, pending: 0 });
      const deliveries = (await http.get(`/v1/campaigns/${created.body.id}/deliveries`).expect(200)).body.items as { contactId: string; providerMessageId?: string; error?: string }[];
      const byContact = Object.fromEntries(deliveries.map((d) => [d.contactId, d]));
      expect(byContact.n1?.providerMessageId).toBe('msg -1');
      expect(byContact.n2?.providerMessageId?.length).toBeLessThanOrEqual(300);
      expect(byContact.n3?.error).toBe('webhook: HTTP 400');
      expect([...received.values()]).toEqual([1, 1, 1]);
    } finally {
      await herald.stop();
      await herald.store.close();
      await provider.close();
    }
  });
});
