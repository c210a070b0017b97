/**
 * Provider settings cannot reach internal services: every URL-bearing setting, the SMTP relay and contacts' web
 * push endpoints are refused when they point at a private, loopback, link-local or reserved address (IPv4 and
 * IPv6 forms, a name that resolves to one, a redirect to one), unless the operator allows the host in
 * PROVIDER_ALLOWED_HOSTS. Nothing is fetched: the answer is 400 at save or a failed delivery; a test send never
 * echoes what answered.
 */
import type { IncomingMessage } from 'node:http';
import { api, campaignEnded, newAccount, openTestStore, startApi, startHerald, type TestHerald } from '../helpers';
import { startLocalServer, type LocalServer } from '../helpers/local-server';
import { buildProvider } from '../../src/providers/settings';
import type { EgressPolicy } from '../../src/providers/egress';
import { startFcmEmulator, type FcmEmulator } from '../emulators/fcm';
import { startWebPushEmulator } from '../emulators/webpush';

const SECRET = 'internal-secret-7f3a';
let herald: TestHerald;
let key: string;
/** An internal service: every request it gets is a failure of the test. */
let internal: LocalServer;
const hits: string[] = [];
let fcm: FcmEmulator;

beforeAll(async () => {
  internal = await startLocalServer((req: IncomingMessage, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: SECRET, secret: SECRET }));
  });
  fcm = await startFcmEmulator();
  herald = await startHerald({
    title: 'egress',
    store: await openTestStore('embedded'),
    // A name server: intranet.acme.test points inside, the others outside (documentation addresses stand for
    // public hosts; nothing here connects to them).
    resolve: async (host) =>
      host === 'intranet.acme.test' ? [{ address: '127.0.0.1', family: 4 }] : host === 'dual.acme.test'
        ? [{ address: '93.184.215.14', family: 4 }, { address: '::1', family: 6 }]
        : [{ address: '93.184.215.14', family: 4 }],
  });
  ({ apiKey: key } = await newAccount(herald.store));
});

afterAll(async () => {
  await herald.stop();
  await herald.store.close();
  await internal.close();
  await fcm.close();
});

const port = () => new URL(internal.origin).port;

test('every URL-bearing setting pointing inside is refused at save, naming the field', async () => {
  const http = api(herald.app, key);
  const refused = async (channel: string, body: object, field: string) => {
    const res = await http.put(`/v1/providers/${channel}`, body);
    expect({ status: res.status, message: res.body.error?.message }).toEqual({ status: 400, message: expect.stringContaining(`${field}:`) });
  };
  const inside = [
    `http://127.0.0.1:${port()}/`,
    `https://127.0.0.1:${port()}/`,
    'https://localhost/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://2130706433/',
    'https://0x7f.1/',
    'https://10.1.2.3/',
    'https://172.16.0.1/',
    'https://192.168.1.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fd00:ec2::254]/',
    'https://[fe80::1]/',
    'https://100.100.100.200/',
    'https://0.0.0.0/',
    'https://intranet.acme.test/',
    'https://dual.acme.test/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_INFO',
    'http://api.example.com/',
  ];
  for (const url of inside) {
    await refused('sms', { kind: 'webhook', config: { url } }, 'config.url');
    await refused('sms', { kind: 'twilio', config: { baseUrl: url, accountSid: `AC${'0'.repeat(32)}`, from: '+14155550000' }, secrets: { authToken: 'x'.repeat(32) } }, 'config.baseUrl');
    await refused('push', { kind: 'fcm', config: { projectId: 'p', baseUrl: url }, secrets: { serviceAccount: fcm.serviceAccount } }, 'config.baseUrl');
  }
  await refused('push', { kind: 'fcm', config: { projectId: 'p' }, secrets: { serviceAccount: { ...fcm.serviceAccount, token_uri: 'https://169.254.169.254/token' } } }, 'secrets.serviceAccount.token_uri');
  const smtp = { secure: false, from: 'news@acme.test' };
  await refused('email', { kind: 'smtp', config: { ...smtp, host: '127.0.0.1', port: 25 } }, 'config.host');
  await refused('email', { kind: 'smtp', config: { ...smtp, host: '::ffff:127.0.0.1', port: 587 } }, 'config.host');
  await refused('email', { kind: 'smtp', config: { ...smtp, host: 'intranet.acme.test', port: 587 } }, 'config.host');
  await refused('email', { kind: 'smtp', config: { ...smtp, host: 'smtp.example.com', port: 6379 } }, 'config.port');
  expect((await http.get('/v1/providers').expect(200)).body).toEqual([]);
  // A public https destination is fine.
  await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: 'https://hooks.example.com/sms' } }).expect(200);
  await http.put('/v1/providers/email', { kind: 'smtp', config: { ...smtp, host: 'smtp.example.com', port: 587 } }).expect(200);
  expect(hits).toEqual([]);
});

test('a name that resolves inside by the time a message goes out is refused then: nothing is fetched', async () => {
  let answer = '93.184.215.14';
  const policy: EgressPolicy = { allowedHosts: [], resolve: async () => [{ address: answer, family: 4 }] };
  const provider = buildProvider({ kind: 'webhook', config: { url: `https://rebind.acme.test:${port()}/hook` }, sealedSecrets: null }, Buffer.alloc(32), policy);
  answer = '127.0.0.1';
  try {
    const [outcome] = await provider.send([{ deliveryId: 1, campaignId: 'c', contactId: 'p', channel: 'sms', to: '+14155550123', body: 'hi' }], new AbortController().signal);
    expect(outcome).toEqual({ status: 'permanent', error: expect.stringMatching(/^webhook: refused/) });
    expect(JSON.stringify(outcome)).not.toContain('127.0.0.1');
  } finally {
    await provider.close?.();
  }
  expect(hits).toEqual([]);
});

test('an allowed host is reached, but a redirect from it to another address is not followed', async () => {
  const redirector = await startLocalServer((_req, res) => res.writeHead(302, { location: `${internal.origin}/admin` }).end());
  const policy: EgressPolicy = { allowedHosts: [new URL(redirector.origin).host] };
  const provider = buildProvider({ kind: 'webhook', config: { url: `${redirector.origin}/hook` }, sealedSecrets: null }, Buffer.alloc(32), policy);
  try {
    const [outcome] = await provider.send([{ deliveryId: 1, campaignId: 'c', contactId: 'p', channel: 'sms', to: '+14155550123', body: 'hi' }], new AbortController().signal);
    expect(outcome).toEqual({ status: 'permanent', error: 'webhook: HTTP 302' });
  } finally {
    await provider.close?.();
    await redirector.close();
  }
  expect(hits).toEqual([]);
});

test("a test send says how it went, never what answered: no body, no id, no protocol error", async () => {
  const echoing = await startApi({ title: 'egress-echo', store: herald.store, allowedHosts: [new URL(internal.origin).host, '127.0.0.1:1'] });
  try {
    const http = api(echoing.app, key);
    await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: `${internal.origin}/anything` } }).expect(200);
    const accepted = await http.post('/v1/providers/sms/test', { to: '+14155550123', body: 'hi' }).expect(200);
    expect(accepted.body).toEqual({ status: 'accepted' });
    expect(hits).toHaveLength(1);
    hits.length = 0;

    const failing = await startLocalServer((_req, res) => res.writeHead(500).end(`${SECRET}: stack trace of an internal service`));
    await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: `${failing.origin}/x` } }).expect(400);
    const failingHerald = await startApi({ title: 'egress-echo-500', store: herald.store, allowedHosts: [new URL(failing.origin).host] });
    try {
      const f = api(failingHerald.app, key);
      await f.put('/v1/providers/sms', { kind: 'webhook', config: { url: `${failing.origin}/x` } }).expect(200);
      const res = await f.post('/v1/providers/sms/test', { to: '+14155550123', body: 'hi' }).expect(200);
      expect(res.body).toEqual({ status: 'retryable', error: 'webhook: HTTP 500', httpStatus: 500 });
    } finally {
      await failingHerald.stop();
      await failing.close();
    }

    await http.put('/v1/providers/sms', { kind: 'webhook', config: { url: 'http://127.0.0.1:1/closed' } }).expect(200);
    const closed = await http.post('/v1/providers/sms/test', { to: '+14155550123', body: 'hi' }).expect(200);
    expect(closed.body).toEqual({ status: 'retryable', error: 'webhook: connection refused' });
  } finally {
    await echoing.stop();
  }
  hits.length = 0;
});

test("contacts' web push endpoints pointing inside end as failed deliveries: nothing is fetched", async () => {
  const http = api(herald.app, key);
  await http.put('/v1/providers/webpush', { kind: 'webpush', config: { subject: 'mailto:ops@acme.test' } }).expect(200);
  const browser = await startWebPushEmulator();
  const { keys } = browser.subscribe().subscription;
  await browser.close();
  const endpoints = [`http://127.0.0.1:${port()}/push/a`, `https://[::ffff:127.0.0.1]:${port()}/push/b`, `https://intranet.acme.test:${port()}/push/c`, `https://169.254.169.254/push/d`];
  await http
    .post('/v1/contacts', { contacts: endpoints.map((endpoint, i) => ({ id: `w${i}`, webPushSubscriptions: [{ endpoint, keys }], attributes: { web: true } })) })
    .expect(200);
  const audience = await http.post('/v1/audiences', { name: 'web', type: 'filter', all: [{ attribute: 'web', op: 'exists' }] }).expect(201);
  const created = await http.post('/v1/campaigns', { name: 'Web', audienceId: audience.body.id, channels: [{ channel: 'webpush', subject: 'Hi', body: 'Hello' }] }).expect(201);
  await http.post(`/v1/campaigns/${created.body.id}/send`).expect(202);
  const done = await campaignEnded(herald.app, key, created.body.id);
  expect(done.counts).toMatchObject({ planned: 4, sent: 0, failed: 4 });
  const failed = (await http.get(`/v1/campaigns/${created.body.id}/deliveries?state=failed`).expect(200)).body.items;
  for (const d of failed) expect(d.error).toMatch(/^webpush: refused/);
  expect(hits).toEqual([]);
});

test('a web push endpoint that is not http(s) is refused at import, naming the field', async () => {
  const res = await api(herald.app, key).post('/v1/contacts', {
    contacts: [{ id: 'g1', webPushSubscriptions: [{ endpoint: 'gopher://127.0.0.1:6379/_INFO', keys: { p256dh: 'x', auth: 'y' } }] }],
  });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toMatch(/contacts\.0\.webPushSubscriptions\.0\.endpoint: must be an http\(s\) URL/);
});
