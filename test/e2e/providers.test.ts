/**
 * Herald sending for real: SMTP (nodemailer), a Twilio-style SMS API, FCM HTTP v1 and Web Push with VAPID, each
 * against a local emulator that checks what the real service checks (auth, OAuth tokens, VAPID signatures,
 * encrypted payloads) and injects faults.
 */
import request from 'supertest';
import { openTestStore, api, campaignEnded, eventually, newAccount, startHerald, type TestHerald, NO_RECEIPTS } from '../helpers';
import { startFcmEmulator, type FcmEmulator } from '../emulators/fcm';
import { startSmtpEmulator, type SmtpEmulator } from '../emulators/smtp';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio';
import { startWebPushEmulator, type WebPushEmulator } from '../emulators/webpush';

let herald: TestHerald;
let smtp: SmtpEmulator;
let twilio: TwilioEmulator;
let fcm: FcmEmulator;
let push: WebPushEmulator;
let key: string;
let vapidPublicKey: string;

const SMS_FROM = '+14155550000';

beforeAll(async () => {
  [smtp, twilio, fcm, push] = await Promise.all([startSmtpEmulator(), startTwilioEmulator(), startFcmEmulator(), startWebPushEmulator()]);
  // The emulators listen on loopback: the operator's list allows it (PROVIDER_ALLOWED_HOSTS=127.0.0.1).
  herald = await startHerald({ title: 'providers', store: await openTestStore('postgres'), sendOptions: { batchSize: 20, concurrency: 4 }, allowedHosts: ['127.0.0.1'] });
  ({ apiKey: key } = await newAccount(herald.store));
  const http = api(herald.app, key);
  await http
    .put('/v1/providers/email', {
      kind: 'smtp',
      // STARTTLS required, verifying the relay's (self-signed) certificate against the one we trust.
      config: { host: '127.0.0.1', port: smtp.port, secure: false, requireTLS: true, ca: smtp.certificate, from: '"Acme News" <news@acme.test>', replyTo: 'help@acme.test' },
      secrets: { user: smtp.user, pass: smtp.pass },
    })
    .expect(200);
  await http
    .put('/v1/providers/sms', {
      kind: 'twilio',
      config: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, from: SMS_FROM, statusCallback: 'https://acme.test/sms-status', timeoutMs: 10_000 },
      secrets: { authToken: twilio.authToken },
    })
    .expect(200);
  await http
    .put('/v1/providers/push', { kind: 'fcm', config: { projectId: fcm.projectId, baseUrl: fcm.baseUrl }, secrets: { serviceAccount: fcm.serviceAccount } })
    .expect(200);
  // No keys given: Herald makes the account a VAPID pair and shows only the public key.
  const webpush = await http.put('/v1/providers/webpush', { kind: 'webpush', config: { subject: 'mailto:ops@acme.test' } }).expect(200);
  vapidPublicKey = webpush.body.config.publicKey;
  expect(webpush.body.secretsSet).toEqual(['privateKey']);
});

afterAll(async () => {
  await herald.stop();
  await herald.store.close();
  await Promise.all([smtp.close(), twilio.close(), fcm.close(), push.close()]);
});

test('provider secrets are write-only; bad settings are refused naming the field; a test send goes through', async () => {
  const http = api(herald.app, key);
  const listed = await http.get('/v1/providers').expect(200);
  expect(listed.body.map((p: { channel: string; kind: string }) => `${p.channel}:${p.kind}`)).toEqual([
    'email:smtp',
    'push:fcm',
    'sms:twilio',
    'webpush:webpush',
  ]);
  const shown = JSON.stringify(listed.body);
  for (const secret of [smtp.pass, twilio.authToken, 'PRIVATE KEY']) expect(shown).not.toContain(secret);
  expect(listed.body.find((p: { channel: string }) => p.channel === 'sms').secretsSet).toEqual(['authToken']);

  const refused = async (channel: string, body: object, message: RegExp) => {
    const res = await http.put(`/v1/providers/${channel}`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  };
  await refused('sms', { kind: 'twilio', config: { baseUrl: twilio.baseUrl, accountSid: 'XX1', from: SMS_FROM }, secrets: { authToken: 'x'.repeat(32) } }, /config\.accountSid: must be an account SID/);
  await refused('sms', { kind: 'twilio', config: { accountSid: twilio.accountSid, from: '555' } }, /config\.from: must be an E\.164 number/);
  await refused(
    'push',
    { kind: 'fcm', config: { projectId: 'p' }, secrets: { serviceAccount: { ...fcm.serviceAccount, private_key: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(200)}\n-----END PRIVATE KEY-----` } } },
    /secrets\.serviceAccount\.private_key: does not load/,
  );
  await refused('email', { kind: 'fcm', config: {} }, /kind: fcm cannot send email/);
  await refused('webpush', { kind: 'webpush', config: { subject: 'ops@acme.test', publicKey: vapidPublicKey } }, /config\.subject: must be a mailto: or https: URL/);
  expect((await http.get('/v1/providers').expect(200)).body).toEqual(listed.body);

  // Changing config alone keeps the stored secret.
  await http
    .put('/v1/providers/sms', {
      kind: 'twilio',
      config: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, from: SMS_FROM, statusCallback: 'https://acme.test/sms-status', timeoutMs: 1_000 },
    })
    .expect(200);
  const tried = await http.post('/v1/providers/sms/test', { to: '+14155550123', body: 'Herald test' }).expect(200);
  // It says accepted, and nothing of the provider's answer (not even its message id).
  expect(tried.body).toEqual({ status: 'accepted' });
  expect([...twilio.messages.values()].find((m) => m.body === 'Herald test')).toMatchObject({ to: '+14155550123', from: SMS_FROM });

  // Certificates are verified unless trusted: without the relay's certificate the test send fails, saying why.
  const emailSettings = listed.body.find((p: { channel: string }) => p.channel === 'email');
  await http.put('/v1/providers/email', { kind: 'smtp', config: { ...emailSettings.config, ca: undefined } }).expect(200);
  const untrusted = await http.post('/v1/providers/email/test', { to: 'ops@acme.test', subject: 'Test', body: 'Hi' }).expect(200);
  expect(untrusted.body).toEqual({ status: 'retryable', error: 'smtp: TLS: self-signed certificate not trusted' });
  await http.put('/v1/providers/email', { kind: 'smtp', config: emailSettings.config }).expect(200);
  const trusted = await http.post('/v1/providers/email/test', { to: 'ops@acme.test', subject: 'Test', body: 'Hi' }).expect(200);
  expect(trusted.body).toMatchObject({ status: 'accepted' });
  expect(smtp.messages.at(-1)).toMatchObject({ subject: 'Test', tls: true });
  smtp.messages.length = 0;

  const audit = JSON.stringify((await http.get('/v1/audit?limit=1000').expect(200)).body);
  for (const secret of [smtp.pass, twilio.authToken, 'PRIVATE KEY']) expect(audit).not.toContain(secret);
  expect(audit).toContain('provider.put');
});

test('a campaign over all four real providers delivers each message once with its content; refused calls are retried, a dropped one stays in doubt; bad addresses fail and are suppressed', async () => {
  const http = api(herald.app, key);
  const subscriptions = new Map<string, string>();
  const people = Array.from({ length: 30 }, (_, i) => {
    const id = `p${i + 1}`;
    const sub = push.subscribe();
    subscriptions.set(sub.id, id);
    return {
      id,
      email: `${id}@example.com`,
      phone: `+1415555${String(1000 + i)}`,
      pushTokens: [`fcm-token-${id}`],
      webPushSubscriptions: [sub.subscription],
      attributes: id === 'p9' ? { real: true } : { first_name: `Name${i + 1}`, real: true },
    };
  });
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  smtp.reject.add('p3@example.com');
  fcm.unregistered.add('fcm-token-p5');
  const gone = [...subscriptions.entries()].find(([, id]) => id === 'p7')![0];
  push.gone.add(gone);
  smtp.faults.next(2, { kind: 'status', status: 451 });
  twilio.faults.next(2, { kind: 'status', status: 429, retryAfterSeconds: 1 });
  twilio.faults.next(1, { kind: 'drop' });
  fcm.faults.next(2, { kind: 'status', status: 503 });
  push.faults.next(1, { kind: 'status', status: 500 });

  const audience = await http.post('/v1/audiences', { name: 'real', type: 'filter', all: [{ attribute: 'real', op: 'exists' }] }).expect(201);
  const created = await http
    .post('/v1/campaigns', {
      name: 'Real launch',
      audienceId: audience.body.id,
      channels: [
        { channel: 'email', subject: 'Hi {{ contact.first_name }}', body: 'Hello {{ contact.first_name }}', html: '<p>Hello <b>{{ contact.first_name }}</b></p>', fallback: 'friend' },
        { channel: 'sms', body: 'Hi {{ contact.first_name | default: "there" }}' },
        { channel: 'push', subject: 'News', body: 'Hi {{ contact.first_name }}' },
        { channel: 'webpush', subject: 'Web news', body: 'Hi {{ contact.first_name }}' },
      ],
    })
    .expect(201);
  const id = created.body.id as string;
  const preview = await http.post(`/v1/campaigns/${id}/preview`, { contactId: 'p9' }).expect(200);
  expect(preview.body.channels[0]).toMatchObject({ channel: 'email', subject: 'Hi friend', html: '<p>Hello <b>friend</b></p>' });
  expect(preview.body.channels[1]).toMatchObject({ channel: 'sms', body: 'Hi there' });

  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  const done = await campaignEnded(herald.app, key, id);
  expect(done.status).toBe('Finished');
  // The SMS whose connection dropped may have arrived: Twilio takes no idempotency key, so it is not sent again.
  const doubt = (await http.get(`/v1/campaigns/${id}/deliveries?state=inDoubt`).expect(200)).body.items;
  expect(doubt).toEqual([expect.objectContaining({ channel: 'sms', state: 'inDoubt', handedAt: expect.any(String), error: expect.stringMatching(/^twilio: /) })]);
  expect(done.counts).toEqual({ planned: 120, pending: 0, sent: 116, notSent: 0, failed: 3, inDoubt: 1, ...NO_RECEIPTS });
  const failed = (await http.get(`/v1/campaigns/${id}/deliveries?state=failed`).expect(200)).body.items;
  expect(failed.map((d: { contactId: string; channel: string; error: string }) => `${d.contactId}/${d.channel}: ${d.error}`).sort()).toEqual([
    expect.stringMatching(/^p3\/email: smtp: .*mailbox unavailable/),
    expect.stringMatching(/^p5\/push: fcm: HTTP 404 UNREGISTERED/),
    expect.stringMatching(/^p7\/webpush: webpush: HTTP 410/),
  ]);

  // Every refused call was retried, and each recipient got at most one message per channel.
  expect([smtp.faults.injected, twilio.faults.injected, fcm.faults.injected, push.faults.injected]).toEqual([2, 3, 2, 1]);
  expect(smtp.messages).toHaveLength(29);
  expect(new Set(smtp.messages.map((m) => m.to && 'text' in m.to ? m.to.text : '')).size).toBe(29);
  const campaignSms = [...twilio.messages.values()].filter((m) => m.body.startsWith('Hi '));
  expect(campaignSms).toHaveLength(29);
  expect(new Set(campaignSms.map((m) => m.to)).size).toBe(29);
  expect(fcm.messages).toHaveLength(29);
  expect(new Set(fcm.messages.map((m) => m.token)).size).toBe(29);
  expect(push.received).toHaveLength(29);
  expect(new Set(push.received.map((p) => p.subscriptionId)).size).toBe(29);

  // The content is each contact's own, with the headers each protocol needs.
  const deliveries = (await http.get(`/v1/campaigns/${id}/deliveries?channel=email&limit=100`).expect(200)).body.items;
  const p1Delivery = deliveries.find((d: { contactId: string }) => d.contactId === 'p1');
  const mail = smtp.messages.find((m) => m.subject === 'Hi Name1')!;
  expect(mail.text?.trim()).toBe('Hello Name1');
  expect(smtp.messages.every((m) => m.tls)).toBe(true);
  expect(mail.html).toContain('<b>Name1</b>');
  expect(mail.from?.text).toBe('"Acme News" <news@acme.test>');
  expect(mail.replyTo?.text).toBe('help@acme.test');
  expect(mail.messageId).toBe(`<${p1Delivery.id}.${id}@acme.test>`);
  expect(p1Delivery.providerMessageId).toBe(mail.messageId);
  const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/^[\w-]+:\s*/, '') ?? '';
  const unsubscribe = header('list-unsubscribe');
  expect(unsubscribe).toMatch(/^<http:\/\/herald\.test\/unsubscribe\/[\w-]+>$/);
  expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
  expect(smtp.messages.find((m) => m.subject === 'Hi friend')?.text?.trim()).toBe('Hello friend');
  expect(campaignSms.find((m) => m.to === '+14155551000')).toMatchObject({ body: 'Hi Name1', from: SMS_FROM, statusCallback: 'https://acme.test/sms-status' });
  expect(fcm.messages.find((m) => m.token === 'fcm-token-p1')).toMatchObject({ title: 'News', body: 'Hi Name1', data: { campaignId: id } });
  expect(fcm.tokensIssued).toBe(1);
  expect(fcm.rejectedAuth).toBe(0);
  const web = push.received.find((p) => subscriptions.get(p.subscriptionId) === 'p1')!;
  expect(web).toMatchObject({ vapidKey: vapidPublicKey, subject: 'mailto:ops@acme.test', payload: { title: 'Web news', body: 'Hi Name1', campaignId: id } });
  expect(push.rejected).toEqual([]);

  // A token the push service says is gone: the message is undelivered, with its event.
  const goneTokens = (await http.get(`/v1/events?campaignId=${id}&limit=1000`).expect(200)).body.items
    .filter((e: { type: string }) => e.type.endsWith('.undelivered'))
    .map((e: { type: string; contactId: string }) => `${e.type} ${e.contactId}`)
    .sort();
  expect(goneTokens).toEqual(['push.undelivered p5', 'webpush.undelivered p7']);

  // Bad addresses are suppressed for their channel, and so is a one-click unsubscribe.
  const suppressed = async (contactId: string) => (await http.get(`/v1/contacts/${contactId}`).expect(200)).body.suppressed;
  expect(await suppressed('p3')).toEqual(['email']);
  expect(await suppressed('p5')).toEqual(['push']);
  expect(await suppressed('p7')).toEqual(['webpush']);
  const path = new URL(unsubscribe.slice(1, -1)).pathname;
  await request(herald.app).get(path).expect(200);
  await request(herald.app).post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
  await request(herald.app).post(`${path}x`).expect(404);
  expect(await suppressed('p1')).toEqual(['email']);

  // The next campaign skips them: notSent(suppressed) with the channel's event. Meanwhile the FCM access
  // token Herald cached stops working: the provider takes a new one and goes on.
  fcm.revokeTokens();
  const next = await http
    .post('/v1/campaigns', { name: 'Follow-up', audienceId: audience.body.id, channels: [{ channel: 'email', subject: 'Again', body: 'b' }, { channel: 'push', subject: 'Again', body: 'b' }] })
    .expect(201);
  await http.post(`/v1/campaigns/${next.body.id}/send`).expect(202);
  const second = await campaignEnded(herald.app, key, next.body.id);
  expect(second.counts).toMatchObject({ planned: 60, sent: 57, notSent: 3, failed: 0 });
  expect(fcm.tokensIssued).toBe(2);
  expect(fcm.messages).toHaveLength(29 + 29);
  const events = (await http.get(`/v1/events?campaignId=${next.body.id}&limit=1000`).expect(200)).body.items;
  expect(
    events
      .filter((e: { type: string }) => e.type.endsWith('.notSent'))
      .map((e: { type: string; contactId: string; reason: string }) => `${e.type} ${e.contactId} ${e.reason}`)
      .sort(),
  ).toEqual(['message.notSent p1 suppressed', 'message.notSent p3 suppressed', 'push.notSent p5 suppressed']);
});

test('a stop after Finished cancels the SMS still queued at the provider', async () => {
  const http = api(herald.app, key);
  twilio.queueMs = 60_000;
  try {
    const people = Array.from({ length: 10 }, (_, i) => ({ id: `q${i}`, phone: `+1415666${String(1000 + i)}`, attributes: { queued: true } }));
    await http.post('/v1/contacts', { contacts: people }).expect(200);
    const audience = await http.post('/v1/audiences', { name: 'queued', type: 'filter', all: [{ attribute: 'queued', op: 'exists' }] }).expect(201);
    const created = await http
      .post('/v1/campaigns', { name: 'Scheduled SMS', audienceId: audience.body.id, channels: [{ channel: 'sms', body: 'Flash sale' }] })
      .expect(201);
    const id = created.body.id as string;
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    expect((await campaignEnded(herald.app, key, id)).counts).toMatchObject({ sent: 10 });
    const queued = [...twilio.messages.values()].filter((m) => m.body === 'Flash sale');
    expect(queued.map((m) => m.status)).toEqual(Array(10).fill('queued'));

    const stop = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
    expect(stop.body.counts).toMatchObject({ planned: 10, sent: 10 });
    // The recall follows the answer.
    const report = await eventually(async () => {
      const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body;
      return r.completedAt ? r : undefined;
    });
    expect(report.steps.find((s: { step: string }) => s.step === 'provider_cancellation').counts).toEqual({ asked: 10, cancelled: 10, tooLate: 0, errors: 0 });
    expect(report.counts).toMatchObject({ planned: 10, sent: 0, notSent: 10 });
    expect(queued.map((m) => m.status)).toEqual(Array(10).fill('canceled'));
    expect(twilio.sent().filter((m) => m.body === 'Flash sale')).toEqual([]);
  } finally {
    twilio.queueMs = 0;
  }
});

test('a campaign that chose at-least-once sends its dropped SMS again (Twilio takes no idempotency key); it is off by default', async () => {
  const http = api(herald.app, key);
  const people = Array.from({ length: 8 }, (_, i) => ({ id: `alo${i}`, phone: `+1415777${String(1000 + i)}`, attributes: { alo: true } }));
  await http.post('/v1/contacts', { contacts: people }).expect(200);
  const audience = await http.post('/v1/audiences', { name: 'at least once', type: 'filter', all: [{ attribute: 'alo', op: 'exists' }] }).expect(201);
  const draft = async (body: string, resendInDoubt?: boolean) => {
    const created = await http
      .post('/v1/campaigns', { name: body, audienceId: audience.body.id, channels: [{ channel: 'sms', body }], ...(resendInDoubt === undefined ? {} : { resendInDoubt }) })
      .expect(201);
    return created.body as { id: string; resendInDoubt: boolean };
  };
  const received = (body: string) => [...twilio.messages.values()].filter((m) => m.body === body);

  const once = await draft('Once at most');
  expect(once.resendInDoubt).toBe(false);
  twilio.faults.next(1, { kind: 'drop' });
  await http.post(`/v1/campaigns/${once.id}/send`).expect(202);
  expect((await campaignEnded(herald.app, key, once.id)).counts).toMatchObject({ planned: 8, sent: 7, inDoubt: 1 });
  expect(received('Once at most')).toHaveLength(7);

  const twice = await draft('At least once', true);
  expect(twice.resendInDoubt).toBe(true);
  await http.patch(`/v1/campaigns/${twice.id}`, { resendInDoubt: 'yes' }).expect(400);
  twilio.faults.next(1, { kind: 'drop' });
  await http.post(`/v1/campaigns/${twice.id}/send`).expect(202);
  // The dropped call's batch is retried and its message in doubt sent again: everyone has it.
  expect((await campaignEnded(herald.app, key, twice.id)).counts).toMatchObject({ planned: 8, sent: 8, inDoubt: 0 });
  expect(new Set(received('At least once').map((m) => m.to)).size).toBe(8);
  expect(twilio.faults.injected).toBeGreaterThan(0);
});

test('status callbacks tell what left Twilio: a stop after Finished asks to cancel only the SMS still queued', async () => {
  const http = api(herald.app, key);
  // Twilio posts its callbacks to the account's receipt URL (no statusCallback of the user's): here through the app.
  const settings = await http
    .put('/v1/providers/sms', { kind: 'twilio', config: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, from: SMS_FROM, timeoutMs: 10_000 }, secrets: { authToken: twilio.authToken } })
    .expect(200);
  const receiptUrl = settings.body.config.statusCallback as string;
  twilio.callbacks = (url, body, headers) => request(herald.app).post(new URL(url).pathname).set(headers).send(body).expect(200);
  try {
    const people = Array.from({ length: 10 }, (_, i) => ({ id: `cb${i}`, phone: `+1415888${String(1000 + i)}`, attributes: { callbacks: true } }));
    await http.post('/v1/contacts', { contacts: people }).expect(200);
    const audience = await http.post('/v1/audiences', { name: 'callbacks', type: 'filter', all: [{ attribute: 'callbacks', op: 'exists' }] }).expect(201);
    const draft = async (body: string) =>
      (await http.post('/v1/campaigns', { name: body, audienceId: audience.body.id, channels: [{ channel: 'sms', body }] }).expect(201)).body.id as string;
    const stopAndReport = async (id: string) => {
      await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
      const report = await eventually(async () => {
        const r = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body;
        return r.completedAt ? r : undefined;
      });
      return report.steps.find((s: { step: string }) => s.step === 'provider_cancellation').counts;
    };

    // Out at once: each has its `delivered` callback, so nothing is asked.
    const out = await draft('Out at once');
    await http.post(`/v1/campaigns/${out}/send`).expect(202);
    expect((await campaignEnded(herald.app, key, out)).counts).toMatchObject({ sent: 10 });
    const delivered = await eventually(async () => {
      const c = (await http.get(`/v1/campaigns/${out}`).expect(200)).body.counts;
      return c.delivered === 10 ? c : undefined;
    });
    expect(delivered).toMatchObject({ sent: 10, delivered: 10 });
    const before = twilio.cancelRequests;
    expect(await stopAndReport(out)).toEqual({ asked: 0, cancelled: 0, tooLate: 0, errors: 0 });
    expect(twilio.cancelRequests).toBe(before);

    // Held in Twilio's queue: no callback yet, their last known status is queued: each is asked, and cancelled.
    twilio.queueMs = 60_000;
    const held = await draft('Held in the queue');
    await http.post(`/v1/campaigns/${held}/send`).expect(202);
    expect((await campaignEnded(herald.app, key, held)).counts).toMatchObject({ sent: 10 });
    expect(await stopAndReport(held)).toEqual({ asked: 10, cancelled: 10, tooLate: 0, errors: 0 });
    expect(twilio.cancelRequests).toBe(before + 10);
    expect([...twilio.messages.values()].filter((m) => m.statusCallback === receiptUrl && m.body === 'Held in the queue').map((m) => m.status)).toEqual(Array(10).fill('canceled'));
  } finally {
    twilio.callbacks = undefined;
    twilio.queueMs = 0;
  }
});
