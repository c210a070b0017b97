/**
 * Each channel of a campaign is its own pipeline: a slow email provider does not hold up the SMS of the same
 * campaign, and a stop still answers with exact books for both. Two local sinks stand in for the providers.
 */
import { startSink, type Sink } from '../helpers/sink';
import { api, draftCampaign, eventually, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';

let herald: TestHerald;
let slow: Sink;
let fast: Sink;

beforeAll(async () => {
  [slow, fast] = await Promise.all([startSink({ latencyMs: 400 }), startSink({ latencyMs: 5 })]);
  herald = await startHerald({ title: 'channels', store: await openTestStore('postgres'), sendOptions: { batchSize: 100, concurrency: 2 }, allowedHosts: ['127.0.0.1'] });
});
afterAll(async () => {
  await herald.stop();
  await herald.store.close();
  await Promise.all([slow.close(), fast.close()]);
});

test('a slow channel never holds up a fast one; a stop answers with exact books for both', async () => {
  const { apiKey } = await newAccount(herald.store);
  const http = api(herald.app, apiKey);
  // Email: 400 ms a message, 5 at a time (about 12 a second). SMS: 5 ms.
  await http.put('/v1/providers/email', { kind: 'webhook', config: { url: slow.url, concurrency: 5 } }).expect(200);
  await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: fast.url, concurrency: 20 } }).expect(200);
  const people = Array.from({ length: 1_000 }, (_, i) => ({ id: `ch${i}`, email: `ch${i}@example.com`, phone: `+1${4_000_000_000 + i}`, attributes: { ch: true } }));
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  const id = await draftCampaign(herald.app, apiKey, { type: 'filter', all: [{ attribute: 'ch', op: 'exists' }] }, {
    name: 'two paces',
    channels: [
      { channel: 'email', subject: 'Hi', body: 'Hello' },
      { channel: 'sms', body: 'Hi' },
    ],
  });
  const started = Date.now();
  await http.post(`/v1/campaigns/${id}/send`).expect(202);

  // Every SMS is out at the SMS provider's pace, while email is still far from done.
  await eventually(async () => (fast.forCampaign(id).length >= 1_000 ? true : undefined), 60_000, 20);
  const smsSeconds = (Date.now() - started) / 1000;
  const emailSoFar = slow.forCampaign(id).length;
  expect(emailSoFar).toBeLessThan(500);
  // The last chunk's outcomes are written just after the provider has it.
  const byChannel = await eventually(async () => {
    const c = (await http.get(`/v1/campaigns/${id}`).expect(200)).body.byChannel;
    return c.sms.sent === 1_000 ? c : undefined;
  }, 5_000, 20);
  expect(byChannel.sms).toMatchObject({ planned: 1_000, sent: 1_000, pending: 0 });
  expect(byChannel.email.pending).toBeGreaterThan(400);

  const stop = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
  const answeredAt = Date.now();
  await new Promise((r) => setTimeout(r, 1_000));
  expect(slow.forCampaign(id).filter((m) => m.at > answeredAt)).toEqual([]);
  const c = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
  for (const channel of ['email', 'sms']) expect(c.byChannel[channel]).toMatchObject(stop.body.byChannel[channel]);
  expect(c.byChannel.sms).toMatchObject({ sent: 1_000, notSent: 0, inDoubt: 0 });
  expect(c.byChannel.email).toMatchObject({ sent: slow.forCampaign(id).length, pending: 0, inDoubt: 0 });
  expect(c.byChannel.email.sent + c.byChannel.email.notSent).toBe(1_000);
  console.log(`1,000 SMS done in ${smsSeconds.toFixed(1)} s beside a slow email channel (${emailSoFar} emails by then)`);
});
