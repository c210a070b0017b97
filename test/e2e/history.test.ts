/**
 * No contact data in workflow history: a provider that fails retryably, answering with the recipient and the
 * message in its body, leaves neither in the campaign's history (activity failures carry classified errors).
 */
import { campaignWorkflowId } from '../../src/workflows/definitions';
import { api, campaignEnded, newAccount, openTestStore, startHerald } from '../helpers';
import { startLocalServer } from '../helpers/local-server';

test("a campaign whose provider failed retryably has no recipient address or message body in its workflow history", async () => {
  const attempts = new Map<string, number>();
  const provider = await startLocalServer((req, res, body) => {
    const key = String(req.headers['idempotency-key']);
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    const message = JSON.parse(body.toString()) as { to: string; body: string };
    // What real gateways do: quote the request back in the error.
    if (n <= 2) return res.writeHead(503, { 'retry-after': '0' }).end(`upstream refused message to ${message.to}: "${message.body}"`);
    return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `ok-${key}` }));
  });
  const herald = await startHerald({ title: 'history', store: await openTestStore('embedded'), allowedHosts: [new URL(provider.origin).host] });
  try {
    const { apiKey } = await newAccount(herald.store);
    const http = api(herald.app, apiKey);
    await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: `${provider.origin}/sms` } }).expect(200);
    const people = [
      { id: 'h1', phone: '+14155550101', email: 'hanna.private@example.com', attributes: { first_name: 'Hanna' } },
      { id: 'h2', phone: '+14155550102', email: 'igor.private@example.com', attributes: { first_name: 'Igor' } },
    ];
    await http.post('/v1/contacts', { contacts: people }).expect(200);
    const audience = await http.post('/v1/audiences', { name: 'h', type: 'list', contactIds: ['h1', 'h2'] }).expect(201);
    const created = await http
      .post('/v1/campaigns', { name: 'History', audienceId: audience.body.id, channels: [{ channel: 'sms', body: 'Secret offer for {{ contact.first_name }}' }] })
      .expect(201);
    await http.post(`/v1/campaigns/${created.body.id}/send`).expect(202);
    const done = await campaignEnded(herald.app, apiKey, created.body.id);
    expect(done.counts).toMatchObject({ planned: 2, sent: 2 });
    expect(Math.max(...attempts.values())).toBe(3);

    const history = await herald.client.workflow.getHandle(campaignWorkflowId(created.body.id)).fetchHistory();
    // Payloads are bytes: read them as text, as anyone looking at the history would.
    const text = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    expect(text).toMatch(/webhook: HTTP 503/);
    for (const secret of ['+14155550101', '+14155550102', '4155550101', 'private@example.com', 'Secret offer', 'Hanna', 'Igor', 'upstream refused']) {
      expect(text).not.toContain(secret);
    }
  } finally {
    await herald.stop();
    await herald.store.close();
    await provider.close();
  }
});
