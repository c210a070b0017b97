/**
 * After the handover: each email, SMS and push API Herald sends through, against its local emulator (a send, a
 * retryable answer retried, a permanent one failed and suppressed where the address is bad), and each provider's
 * signed receipts (a correctly signed event updates its delivery and emits its event, a forged or tampered one is
 * refused and changes nothing, the same event twice counts once, another account's message cannot be touched).
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import request from 'supertest';
import { api, campaignEnded, draftCampaign, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';
import { startApnsEmulator, type ApnsEmulator } from '../emulators/apns';
import { startMailgunEmulator, type MailgunEmulator } from '../emulators/mailgun';
import { startPostmarkEmulator, type PostmarkEmulator } from '../emulators/postmark';
import { startSendgridEmulator, type SendgridEmulator } from '../emulators/sendgrid';
import { startSesEmulator, type SesEmulator } from '../emulators/ses';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio';
import { startVonageEmulator, type VonageEmulator } from '../emulators/vonage';

let herald: TestHerald;
let sendgrid: SendgridEmulator;
let postmark: PostmarkEmulator;
let mailgun: MailgunEmulator;
let ses: SesEmulator;
let twilio: TwilioEmulator;
let vonage: VonageEmulator;
let apns: ApnsEmulator;

beforeAll(async () => {
  [sendgrid, postmark, mailgun, ses, twilio, vonage, apns] = await Promise.all([
    startSendgridEmulator(),
    startPostmarkEmulator(),
    startMailgunEmulator(),
    startSesEmulator(),
    startTwilioEmulator(),
    startVonageEmulator(),
    startApnsEmulator(),
  ]);
  herald = await startHerald({
    title: 'receipts',
    store: await openTestStore('postgres'),
    sendOptions: { batchSize: 10, concurrency: 2 },
    trustedSnsOrigins: [ses.baseUrl],
    // The emulators listen on loopback: the operator's list allows it (PROVIDER_ALLOWED_HOSTS=127.0.0.1).
    allowedHosts: ['127.0.0.1'],
  });
});

afterAll(async () => {
  await herald.stop();
  await herald.store.close();
  await Promise.all([sendgrid, postmark, mailgun, ses, twilio, vonage, apns].map((e) => e.close()));
});

type Http = ReturnType<typeof api>;
interface Delivery {
  id: number;
  contactId: string;
  state: string;
  error: string | null;
  providerMessageId: string | null;
  reason: string | null;
  receipt: { outcome: string | null; bounce: string | null; reason: string | null; provider: string | null } | null;
}

/** A new account with `channel` set to `settings`; returns its API calls and the receipt route's path. */
async function accountWith(channel: string, settings: object): Promise<{ http: Http; key: string; path: string; receiptUrl: string }> {
  const { apiKey } = await newAccount(herald.store);
  const http = api(herald.app, apiKey);
  const saved = await http.put(`/v1/providers/${channel}`, settings).expect(200);
  const receiptUrl = saved.body.receiptUrl as string;
  return { http, key: apiKey, path: receiptUrl ? new URL(receiptUrl).pathname : '', receiptUrl };
}

/** Imports `contacts`, sends a one-channel campaign to them and waits for it to end; returns it and its deliveries. */
async function sendCampaign(key: string, channel: string, contacts: object[], opts: { imported?: boolean } = {}) {
  const http = api(herald.app, key);
  // (Importing again would replace the contacts, and with them their suppressions.)
  if (!opts.imported) await http.post('/v1/contacts', { contacts }).expect(200);
  const id = await draftCampaign(herald.app, key, { type: 'list', contactIds: contacts.map((c) => (c as { id: string }).id) }, {
    channels: [{ channel, ...(channel === 'sms' ? {} : { subject: 'Hello {{ contact.id }}' }), body: 'Hi {{ contact.id }}' }],
  });
  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  const done = await campaignEnded(herald.app, key, id);
  return { id, done, deliveries: await deliveriesOf(http, id) };
}

async function deliveriesOf(http: Http, id: string, query = ''): Promise<Delivery[]> {
  return (await http.get(`/v1/campaigns/${id}/deliveries?limit=100${query}`).expect(200)).body.items as Delivery[];
}

const byContact = (ds: Delivery[]) => new Map(ds.map((d) => [d.contactId, d]));

async function eventsOf(http: Http, campaignId: string, type: string) {
  return (await http.get(`/v1/events?campaignId=${campaignId}&type=${type}&limit=100`).expect(200)).body.items as {
    contactId: string;
    reason: string | null;
    provider?: string;
    bounce?: string;
  }[];
}

/** A campaign's counts as the API shows them. */
async function countsOf(http: Http, id: string) {
  return (await http.get(`/v1/campaigns/${id}`).expect(200)).body.counts as Record<string, number>;
}

const post = (path: string, body: string | object, headers: Record<string, string> = {}) =>
  request(herald.app).post(path).set(headers).send(typeof body === 'string' ? body : JSON.stringify(body));

test('SendGrid: sent over Mail Send with retries; signed events count once; forged, tampered and cross-account ones change nothing; a hard bounce suppresses the next campaign', async () => {
  const settings = {
    kind: 'sendgrid',
    config: { baseUrl: sendgrid.baseUrl, from: '"Acme" <news@acme.test>', eventWebhookPublicKey: sendgrid.publicKey, timeoutMs: 2000 },
    secrets: { apiKey: sendgrid.apiKey },
  };
  const { http, key, path, receiptUrl } = await accountWith('email', settings);
  expect(receiptUrl).toMatch(/^http:\/\/herald\.test\/receipts\/sendgrid\/[\w-]{32}$/);
  expect(JSON.stringify((await http.get('/v1/providers').expect(200)).body)).not.toContain(sendgrid.apiKey);
  const people = ['s1', 's2', 's3', 's4', 's5', 's6'].map((id) => ({ id, email: `${id}@example.com` }));
  sendgrid.invalid.add('s3@example.com');
  sendgrid.faults.next(2, { kind: 'status', status: 503 });
  sendgrid.faults.next(1, { kind: 'status', status: 429 });
  const { id, done, deliveries } = await sendCampaign(key, 'email', people);
  expect(done.counts).toMatchObject({ planned: 6, sent: 5, failed: 1, delivered: 0, bounced: 0 });
  expect(sendgrid.faults.injected).toBe(3);
  expect(sendgrid.messages.filter((m) => /^s\d@/.test(m.to)).map((m) => m.to).sort()).toEqual(['s1', 's2', 's4', 's5', 's6'].map((s) => `${s}@example.com`));
  expect(sendgrid.messages.find((m) => m.to === 's1@example.com')).toMatchObject({ subject: 'Hello s1', text: 'Hi s1', from: 'news@acme.test' });
  expect(sendgrid.messages[0]!.headers['List-Unsubscribe']).toMatch(/^<http:\/\/herald\.test\/unsubscribe\//);
  const d = byContact(deliveries);
  expect(d.get('s3')).toMatchObject({ state: 'failed', error: expect.stringMatching(/^sendgrid: HTTP 400/) });
  expect((await http.get('/v1/contacts/s3').expect(200)).body.suppressed).toEqual(['email']);

  const sg = (contact: string, event: string, extra: object = {}) => ({ event, email: `${contact}@example.com`, sg_message_id: `${d.get(contact)!.providerMessageId}.filterdrecv-1`, ...extra });
  const batch = sendgrid.signedEvents([
    sg('s1', 'delivered'),
    sg('s2', 'delivered'),
    sg('s2', 'open'),
    sg('s4', 'bounce', { type: 'bounce', reason: '550 5.1.1 The email account does not exist' }),
    sg('s5', 'delivered'),
    sg('s5', 'spamreport'),
  ]);
  await post(path, batch.body, batch.headers).expect(200, { ok: true });
  const after = await countsOf(http, id);
  expect(after).toMatchObject({ sent: 5, delivered: 3, undelivered: 0, bounced: 1, complained: 1 });
  const bounced = await eventsOf(http, id, 'message.bounced');
  expect(bounced).toEqual([expect.objectContaining({ contactId: 's4', bounce: 'hard', provider: 'sendgrid', reason: '550 5.1.1 The email account does not exist' })]);
  expect((await eventsOf(http, id, 'message.delivered')).map((e) => e.contactId).sort()).toEqual(['s1', 's2', 's5']);
  expect((await eventsOf(http, id, 'message.complained')).map((e) => e.contactId)).toEqual(['s5']);
  expect((await deliveriesOf(http, id, '&outcome=bounced')).map((x) => x.contactId)).toEqual(['s4']);
  expect((await deliveriesOf(http, id, '&outcome=awaiting')).map((x) => x.contactId)).toEqual(['s6']);
  expect(byContact(await deliveriesOf(http, id)).get('s4')!.receipt).toMatchObject({ outcome: 'bounced', bounce: 'hard', provider: 'sendgrid' });
  const s4 = (await http.get('/v1/contacts/s4').expect(200)).body;
  expect(s4.suppressions).toEqual([expect.objectContaining({ channel: 'email', cause: 'hard_bounce', provider: 'sendgrid' })]);
  expect((await http.get('/v1/contacts/s5').expect(200)).body.suppressions).toEqual([expect.objectContaining({ channel: 'email', cause: 'complaint' })]);

  // The same batch again counts once; a tampered body, a forged signature or a malformed one change nothing.
  await post(path, batch.body, batch.headers).expect(200);
  await post(path, batch.body.replace('"delivered"', '"bounce"'), batch.headers).expect(401);
  const { privateKey: otherKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forgedBody = JSON.stringify([sg('s6', 'bounce', { type: 'bounce', sg_event_id: 'forged-1' })]);
  const ts = String(Math.floor(Date.now() / 1000));
  const forged = { ...batch.headers, 'x-twilio-email-event-webhook-timestamp': ts, 'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(ts + forgedBody), otherKey).toString('base64') };
  await post(path, forgedBody, forged).expect(401);
  await post(path, forgedBody, { 'content-type': 'application/json' }).expect(401);
  const malformed = sendgrid.signedEvents([]);
  const notJson = 'not json';
  await post(path, notJson, { ...malformed.headers, 'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(malformed.headers['x-twilio-email-event-webhook-timestamp']! + notJson), otherKey).toString('base64') }).expect(401);
  await post(path, 'x'.repeat(3 * 1024 * 1024), batch.headers).expect(400);
  // A route that is not the account's is not found; an unknown message gets the same answer as a known one.
  await post(path.replace(/[\w-]{32}$/, 'A'.repeat(32)), batch.body, batch.headers).expect(404);
  const unknown = sendgrid.signedEvents([{ event: 'delivered', sg_message_id: 'nosuchmessage.filter' }]);
  await post(path, unknown.body, unknown.headers).expect(200, { ok: true });
  expect(await countsOf(http, id)).toEqual(after);
  expect(await eventsOf(http, id, 'message.bounced')).toHaveLength(1);

  // Another account with SendGrid (events signed with the same key) cannot touch this account's messages.
  const other = await accountWith('email', settings);
  const cross = sendgrid.signedEvents([sg('s6', 'bounce', { type: 'bounce' })]);
  await post(other.path, cross.body, cross.headers).expect(200, { ok: true });
  expect(await countsOf(http, id)).toEqual(after);
  expect((await http.get('/v1/contacts/s6').expect(200)).body.suppressed).toEqual([]);

  // The hard bounce (and the complaint) keep the next campaign from mailing them.
  const next = await sendCampaign(key, 'email', people, { imported: true });
  expect(next.done.counts).toMatchObject({ planned: 6, sent: 3, notSent: 3 });
  const notSent = next.deliveries.filter((x) => x.state === 'notSent');
  expect(notSent.map((x) => `${x.contactId}:${x.reason}`).sort()).toEqual(['s3:suppressed', 's4:suppressed', 's5:suppressed']);
  expect((await eventsOf(http, next.id, 'message.notSent')).map((e) => e.contactId).sort()).toEqual(['s3', 's4', 's5']);
});

/** Twilio's signature, as its documentation describes it (computed here independently of Herald's). */
function twilioSign(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

test('Twilio: status callbacks signed with X-Twilio-Signature set SMS deliveries; tampered or forged ones are refused; a dead number is suppressed', async () => {
  const base = { kind: 'twilio', config: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, from: '+14155550000' }, secrets: { authToken: twilio.authToken } };
  const { http, key, path, receiptUrl } = await accountWith('sms', base);
  // Without a statusCallback of the user's, Twilio is told to send its callbacks to the receipt URL.
  expect((await http.get('/v1/providers').expect(200)).body[0].config.statusCallback).toBe(receiptUrl);
  const people = ['t1', 't2', 't3'].map((id, i) => ({ id, phone: `+1415666000${i}` }));
  const { id, deliveries } = await sendCampaign(key, 'sms', people);
  const d = byContact(deliveries);
  expect([...twilio.messages.values()].find((m) => m.sid === d.get('t1')!.providerMessageId)?.statusCallback).toBe(receiptUrl);
  const callback = (contact: string, status: string, extra: Record<string, string> = {}) => {
    const params = { AccountSid: twilio.accountSid, MessageSid: d.get(contact)!.providerMessageId!, MessageStatus: status, To: '+14156660000', ApiVersion: '2010-04-01', ...extra };
    return { body: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSign(twilio.authToken, receiptUrl, params) } };
  };
  const delivered = callback('t1', 'delivered');
  await post(path, delivered.body, delivered.headers).expect(200);
  await post(path, delivered.body, delivered.headers).expect(200);
  const dead = callback('t2', 'undelivered', { ErrorCode: '30006' });
  await post(path, dead.body, dead.headers).expect(200);
  const sent = callback('t3', 'sent');
  await post(path, sent.body, sent.headers).expect(200);
  expect(await countsOf(http, id)).toMatchObject({ sent: 3, delivered: 1, undelivered: 1 });
  expect((await eventsOf(http, id, 'sms.delivered')).map((e) => e.contactId)).toEqual(['t1']);
  expect(await eventsOf(http, id, 'sms.undelivered')).toEqual([expect.objectContaining({ contactId: 't2', reason: 'undelivered 30006', provider: 'twilio' })]);
  expect((await http.get('/v1/contacts/t2').expect(200)).body.suppressions).toEqual([expect.objectContaining({ channel: 'sms', cause: 'undeliverable' })]);

  const tampered = callback('t3', 'delivered');
  await post(path, tampered.body.replace('delivered', 'undelivered'), tampered.headers).expect(401);
  await post(path, tampered.body, { ...tampered.headers, 'x-twilio-signature': twilioSign('0'.repeat(32), receiptUrl, Object.fromEntries(new URLSearchParams(tampered.body))) }).expect(401);
  await post(path, tampered.body, { 'content-type': 'application/x-www-form-urlencoded' }).expect(401);
  expect(await countsOf(http, id)).toMatchObject({ delivered: 1, undelivered: 1 });
});

test('Postmark: sent over the Email API with retries; an inactive recipient is suppressed; webhooks with the right basic auth count once', async () => {
  const password = 'p'.repeat(24);
  const { http, key, path } = await accountWith('email', {
    kind: 'postmark',
    config: { baseUrl: postmark.baseUrl, from: 'news@acme.test', webhookUsername: 'acme' },
    secrets: { serverToken: postmark.serverToken, webhookPassword: password },
  });
  postmark.inactive.add('p2@example.com');
  postmark.faults.next(2, { kind: 'status', status: 500 });
  const people = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ id, email: `${id}@example.com` }));
  const { id, done, deliveries } = await sendCampaign(key, 'email', people);
  expect(done.counts).toMatchObject({ planned: 4, sent: 3, failed: 1 });
  expect(postmark.faults.injected).toBe(2);
  expect(postmark.messages.map((m) => m.to).sort()).toEqual(['p1@example.com', 'p3@example.com', 'p4@example.com']);
  const d = byContact(deliveries);
  expect(d.get('p2')).toMatchObject({ state: 'failed', error: expect.stringMatching(/422 406/) });
  expect((await http.get('/v1/contacts/p2').expect(200)).body.suppressed).toEqual(['email']);

  const auth = { authorization: `Basic ${Buffer.from(`acme:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const mid = (c: string) => d.get(c)!.providerMessageId!;
  const hooks = [
    { RecordType: 'Delivery', MessageID: mid('p1'), DeliveredAt: new Date().toISOString(), Recipient: 'p1@example.com' },
    { RecordType: 'Bounce', ID: 4323372036, Type: 'HardBounce', TypeCode: 1, MessageID: mid('p3'), Description: 'The server was unable to deliver your message', Details: 'smtp;550 5.1.1 user unknown', BouncedAt: new Date().toISOString() },
    { RecordType: 'SubscriptionChange', MessageID: mid('p4'), ChangedAt: new Date().toISOString(), SuppressSending: true, SuppressionReason: 'ManualSuppression' },
  ];
  for (const h of hooks) await post(path, h, auth).expect(200);
  for (const h of hooks) await post(path, h, auth).expect(200);
  await post(path, { ...hooks[0], MessageID: mid('p4') }, { ...auth, authorization: `Basic ${Buffer.from('acme:wrong-password-123456').toString('base64')}` }).expect(401);
  await post(path, { ...hooks[0], MessageID: mid('p4') }, { 'content-type': 'application/json' }).expect(401);
  await post(path, '{"RecordType":', auth).expect(400);
  expect(await countsOf(http, id)).toMatchObject({ sent: 3, delivered: 1, bounced: 1, unsubscribed: 1 });
  expect(await eventsOf(http, id, 'message.bounced')).toEqual([expect.objectContaining({ contactId: 'p3', bounce: 'hard', reason: 'HardBounce: smtp;550 5.1.1 user unknown' })]);
  expect((await eventsOf(http, id, 'message.unsubscribed')).map((e) => e.contactId)).toEqual(['p4']);
  expect((await http.get('/v1/contacts/p4').expect(200)).body.suppressions).toEqual([expect.objectContaining({ cause: 'unsubscribed' })]);
});

test('Mailgun: sent over the Messages API with retries; a refused address is suppressed; HMAC-signed webhooks count once; a bad signature is refused', async () => {
  const { http, key, path } = await accountWith('email', {
    kind: 'mailgun',
    config: { baseUrl: mailgun.baseUrl, domain: mailgun.domain, from: 'Acme <news@acme.test>' },
    secrets: { apiKey: mailgun.apiKey, webhookSigningKey: mailgun.signingKey },
  });
  mailgun.invalid.add('m2@example.com');
  mailgun.faults.next(1, { kind: 'status', status: 429, retryAfterSeconds: 1 });
  mailgun.faults.next(1, { kind: 'status', status: 502 });
  const people = ['m1', 'm2', 'm3'].map((id) => ({ id, email: `${id}@example.com` }));
  const { id, done, deliveries } = await sendCampaign(key, 'email', people);
  expect(done.counts).toMatchObject({ planned: 3, sent: 2, failed: 1 });
  expect(mailgun.faults.injected).toBe(2);
  expect(mailgun.messages.find((m) => m.to === 'm1@example.com')?.fields['h:List-Unsubscribe']).toMatch(/^<http:\/\/herald\.test\/unsubscribe\//);
  const d = byContact(deliveries);
  expect(d.get('m2')).toMatchObject({ state: 'failed', error: expect.stringMatching(/^mailgun: HTTP 400/) });
  expect((await http.get('/v1/contacts/m2').expect(200)).body.suppressed).toEqual(['email']);
  expect(d.get('m1')!.providerMessageId).toMatch(/^[^<>]+@mg\.acme\.test$/);

  const headers = (id: string) => ({ message: { headers: { 'message-id': d.get(id)!.providerMessageId! } } });
  const delivered = mailgun.signedWebhook({ event: 'delivered', ...headers('m1') });
  const failed = mailgun.signedWebhook({ event: 'failed', severity: 'permanent', reason: 'bounce', 'delivery-status': { code: 550, description: '5.1.1 mailbox does not exist' }, ...headers('m3') });
  for (const h of [delivered, failed, delivered]) await post(path, h, { 'content-type': 'application/json' }).expect(200);
  // The signature covers timestamp and token only: reusing a captured one for another event is refused.
  await post(path, { ...delivered, 'event-data': { ...(delivered['event-data'] as object), id: 'other-event', event: 'complained' } }, { 'content-type': 'application/json' }).expect(401);
  const forged = mailgun.signedWebhook({ event: 'complained', ...headers('m1') });
  (forged.signature as { signature: string }).signature = createHmac('sha256', 'not-the-key').update('x').digest('hex');
  await post(path, forged, { 'content-type': 'application/json' }).expect(401);
  expect(await countsOf(http, id)).toMatchObject({ sent: 2, delivered: 1, bounced: 1, complained: 0 });
  expect(await eventsOf(http, id, 'message.bounced')).toEqual([expect.objectContaining({ contactId: 'm3', bounce: 'hard', reason: '550 5.1.1 mailbox does not exist', provider: 'mailgun' })]);
});

test('Amazon SES: sent with SendEmail (AWS SDK v3) with retries; SNS confirms its subscription; signed notifications count once; tampered ones, untrusted certificates and other topics are refused', async () => {
  const { http, key, path } = await accountWith('email', {
    kind: 'ses',
    config: { region: ses.region, baseUrl: ses.baseUrl, accessKeyId: ses.accessKeyId, from: 'news@acme.test', snsTopicArn: ses.topicArn },
    secrets: { secretAccessKey: ses.secretAccessKey },
  });
  ses.rejected.add('a2@example.com');
  ses.faults.next(1, { kind: 'status', status: 429 });
  ses.faults.next(1, { kind: 'status', status: 500 });
  const people = ['a1', 'a2', 'a3'].map((id) => ({ id, email: `${id}@example.com` }));
  const { id, done, deliveries } = await sendCampaign(key, 'email', people);
  expect(done.counts).toMatchObject({ planned: 3, sent: 2, failed: 1 });
  expect(ses.faults.injected).toBe(2);
  expect(ses.messages.map((m) => m.to).sort()).toEqual(['a1@example.com', 'a3@example.com']);
  const d = byContact(deliveries);
  expect(d.get('a2')).toMatchObject({ state: 'failed', error: expect.stringMatching(/HTTP 400 MessageRejected/) });

  const sns = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' };
  const confirmation = ses.subscriptionConfirmation();
  await post(path, confirmation, sns).expect(200);
  expect(ses.confirmed).toEqual([confirmation.Token]);
  const mail = (c: string) => ({ messageId: d.get(c)!.providerMessageId!, timestamp: new Date().toISOString(), destination: [`${c}@example.com`] });
  const delivery = ses.notification({ notificationType: 'Delivery', mail: mail('a1'), delivery: { timestamp: new Date().toISOString(), smtpResponse: '250 ok' } });
  const bounce = ses.notification({
    notificationType: 'Bounce',
    mail: mail('a3'),
    bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: new Date().toISOString(), bouncedRecipients: [{ emailAddress: 'a3@example.com', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] },
  });
  for (const n of [delivery, bounce, delivery]) await post(path, n, sns).expect(200);
  const complaint = ses.notification({ notificationType: 'Complaint', mail: mail('a1'), complaint: { timestamp: new Date().toISOString(), complaintFeedbackType: 'abuse' } });
  await post(path, { ...complaint, Message: complaint.Message!.replace('a1', 'a3') }, sns).expect(401);
  await post(path, { ...complaint, SigningCertURL: 'https://attacker.example/SimpleNotificationService-x.pem' }, sns).expect(403);
  await post(path, ses.notification({ notificationType: 'Complaint', mail: mail('a1') }, 'arn:aws:sns:eu-west-1:999999999999:other'), sns).expect(403);
  await post(path, '{"Type":"Notification"', sns).expect(400);
  expect(await countsOf(http, id)).toMatchObject({ sent: 2, delivered: 1, bounced: 1, complained: 0 });
  await post(path, complaint, sns).expect(200);
  expect(await countsOf(http, id)).toMatchObject({ complained: 1 });
  expect(await eventsOf(http, id, 'message.bounced')).toEqual([expect.objectContaining({ contactId: 'a3', bounce: 'hard', reason: 'smtp; 550 5.1.1 user unknown', provider: 'ses' })]);
  expect((await http.get('/v1/contacts/a3').expect(200)).body.suppressions).toEqual([expect.objectContaining({ cause: 'hard_bounce', provider: 'ses' })]);
});

test('Vonage: sent over the SMS API (a throttled answer and a 5xx retried, an unroutable number suppressed); signed delivery receipts count once; bad or stale signatures are refused', async () => {
  const { http, key, path } = await accountWith('sms', {
    kind: 'vonage',
    config: { baseUrl: vonage.baseUrl, apiKey: vonage.apiKey, from: 'Acme' },
    secrets: { apiSecret: vonage.apiSecret, signatureSecret: vonage.signatureSecret },
  });
  vonage.unroutable.add('14157770001');
  vonage.throttleNext = 1;
  vonage.faults.next(1, { kind: 'status', status: 500 });
  const people = ['v0', 'v1', 'v2'].map((id, i) => ({ id, phone: `+1415777000${i}` }));
  const { id, done, deliveries } = await sendCampaign(key, 'sms', people);
  expect(done.counts).toMatchObject({ planned: 3, sent: 2, failed: 1 });
  expect(vonage.messages.map((m) => m.to).sort()).toEqual(['14157770000', '14157770002']);
  const d = byContact(deliveries);
  expect(d.get('v1')).toMatchObject({ state: 'failed', error: expect.stringMatching(/status 6 Unroutable/) });
  expect((await http.get('/v1/contacts/v1').expect(200)).body.suppressed).toEqual(['sms']);

  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const delivered = vonage.signedReceipt(d.get('v0')!.providerMessageId!, 'delivered');
  const failed = vonage.signedReceipt(d.get('v2')!.providerMessageId!, 'failed', '3');
  for (const r of [delivered, failed, delivered]) await post(path, r, form).expect(200);
  await post(path, delivered.replace('status=delivered', 'status=failed'), form).expect(401);
  await post(path, vonage.signedReceipt(d.get('v0')!.providerMessageId!, 'failed', '1', { timestamp: String(Math.floor(Date.now() / 1000) - 3600) }), form).expect(401);
  expect(await countsOf(http, id)).toMatchObject({ sent: 2, delivered: 1, undelivered: 1 });
  expect(await eventsOf(http, id, 'sms.undelivered')).toEqual([expect.objectContaining({ contactId: 'v2', reason: 'failed 3', provider: 'vonage' })]);
  expect((await http.get('/v1/contacts/v2').expect(200)).body.suppressions).toEqual([expect.objectContaining({ channel: 'sms', cause: 'undeliverable' })]);
});

test('APNs: pushed over HTTP/2 with an ES256 provider token (renewed when expired); 503 and 429 retried; an unregistered token fails and is suppressed', async () => {
  const { http, key } = await accountWith('push', {
    kind: 'apns',
    config: { baseUrl: apns.baseUrl, teamId: apns.teamId, keyId: apns.keyId, bundleId: apns.bundleId, ca: apns.ca, timeoutMs: 2000 },
    secrets: { privateKey: apns.privateKey },
  });
  const refused = await http.put('/v1/providers/push', { kind: 'apns', config: { teamId: apns.teamId, keyId: apns.keyId, bundleId: apns.bundleId }, secrets: { privateKey: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(200)}\n-----END PRIVATE KEY-----` } });
  expect(refused.status).toBe(400);
  expect(refused.body.error.message).toMatch(/secrets\.privateKey: does not load as an ES256/);
  const tried = await http.post('/v1/providers/push/test', { to: 'warmuptoken01', subject: 'T', body: 'test' }).expect(200);
  expect(tried.body.status).toBe('accepted');
  apns.expireTokens();
  apns.unregistered.add('deadtoken0001');
  apns.faults.next(1, { kind: 'status', status: 503 });
  apns.faults.next(1, { kind: 'status', status: 429 });
  const people = ['n1', 'n2', 'n3'].map((id) => ({ id, pushTokens: [id === 'n2' ? 'deadtoken0001' : `token-${id}-000`] }));
  const { done, deliveries } = await sendCampaign(key, 'push', people);
  expect(done.counts).toMatchObject({ planned: 3, sent: 2, failed: 1 });
  expect(apns.faults.injected).toBe(2);
  expect(apns.received.filter((n) => n.token.startsWith('token-')).map((n) => `${n.token}:${n.payload.aps.alert.body}`).sort()).toEqual(['token-n1-000:Hi n1', 'token-n3-000:Hi n3']);
  expect(apns.tokensSeen.size).toBeGreaterThanOrEqual(2);
  expect(byContact(deliveries).get('n2')).toMatchObject({ state: 'failed', error: 'apns: HTTP 410 Unregistered' });
  expect((await http.get('/v1/contacts/n2').expect(200)).body.suppressed).toEqual(['push']);
  expect((await http.get('/v1/contacts/n1').expect(200)).body.suppressed).toEqual([]);
});
