/**
 * A local HTTP server in the style of Twilio's Messages resource: it checks basic auth (account SID and auth
 * token), validates the create form, refuses invalid numbers (code 21211), keeps each message queued for
 * `queueMs` before it is "sent", and cancels a queued message on `Status=canceled`. When a message goes out it
 * posts the status callbacks `sent` and `delivered` to its StatusCallback URL, signed with X-Twilio-Signature as
 * Twilio documents it, through `callbacks` (when set). Faults: 5xx, 429 with Retry-After, hanging requests,
 * connections dropped after the request was taken.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** Callbacks follow a status change by this long, as Twilio's do (asynchronously, after the API has answered). */
const CALLBACK_DELAY_MS = 200;

/** A message the emulator holds. */
export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback?: string;
  status: 'queued' | 'sent' | 'canceled';
  queuedUntil: number;
}

/** A running Twilio-style emulator. */
export interface TwilioEmulator {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  messages: Map<string, TwilioMessage>;
  /** How long new messages stay queued (cancellable) before they go out. */
  queueMs: number;
  /** Numbers refused as invalid (code 21211). */
  invalid: Set<string>;
  faults: Faults;
  /** Delivers a status callback (form body, signed headers) to its URL; no callbacks are made while unset. */
  callbacks: ((url: string, body: string, headers: Record<string, string>) => Promise<unknown>) | undefined;
  /** Cancel requests received (`Status=canceled`), whatever their answer. */
  cancelRequests: number;
  /** Messages that went out (queue time over, not canceled). */
  sent(): TwilioMessage[];
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startTwilioEmulator(): Promise<TwilioEmulator> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const messages = new Map<string, TwilioMessage>();
  const emulator: Omit<TwilioEmulator, 'baseUrl' | 'sent' | 'close'> = {
    accountSid,
    authToken,
    messages,
    queueMs: 0,
    invalid: new Set<string>(),
    faults: new Faults(),
    callbacks: undefined,
    cancelRequests: 0,
  };
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const statusOf = (m: TwilioMessage) => (m.status === 'queued' && Date.now() >= m.queuedUntil ? 'sent' : m.status);
  /** Once the message's queue time is over (and it was not canceled): `sent`, then `delivered`, to its callback. */
  const reportWhenOut = (m: TwilioMessage) => {
    const deliver = emulator.callbacks;
    if (!deliver || !m.statusCallback) return;
    const url = m.statusCallback;
    setTimeout(async () => {
      if (statusOf(m) !== 'sent') return;
      for (const status of ['sent', 'delivered']) {
        const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', From: m.from, MessageSid: m.sid, MessageStatus: status, To: m.to };
        const signed = url + Object.keys(params).sort().map((k) => k + params[k as keyof typeof params]).join('');
        const signature = createHmac('sha1', authToken).update(Buffer.from(signed, 'utf8')).digest('base64');
        await deliver(url, new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }).catch(() => undefined);
      }
    }, Math.max(0, m.queuedUntil - Date.now()) + CALLBACK_DELAY_MS);
  };

  const server = await startLocalServer((req, res, raw) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (emulator.faults.play(() => req.socket.destroy(), (status, headers) => reply(status, { code: 20500, message: 'injected fault', status }, headers))) return;
    if (req.headers.authorization !== expectedAuth) return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return reply(400, { code: 20001, message: 'form-encoded body expected', status: 400 });
    }
    const params = new URLSearchParams(raw.toString());
    const base = `/2010-04-01/Accounts/${accountSid}/Messages`;
    if (req.method === 'POST' && req.url === `${base}.json`) {
      const to = params.get('To') ?? '';
      const from = params.get('From') ?? params.get('MessagingServiceSid') ?? '';
      const body = params.get('Body') ?? '';
      if (!/^\+[1-9]\d{6,14}$/.test(to) || emulator.invalid.has(to)) {
        return reply(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
      }
      if (!from || !body) return reply(400, { code: 21602, message: 'Message body and From are required', status: 400 });
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const message: TwilioMessage = { sid, to, from, body, status: 'queued', queuedUntil: Date.now() + emulator.queueMs };
      const callback = params.get('StatusCallback');
      if (callback) message.statusCallback = callback;
      messages.set(sid, message);
      reportWhenOut(message);
      return reply(201, { sid, status: 'queued', to, from, body });
    }
    const match = new RegExp(`^${base}/(SM[0-9a-f]{32})\\.json$`).exec(req.url ?? '');
    if (req.method === 'POST' && match) {
      const message = messages.get(match[1]!);
      if (!message) return reply(404, { code: 20404, message: 'not found', status: 404 });
      emulator.cancelRequests++;
      if (params.get('Status') !== 'canceled') return reply(400, { code: 21220, message: 'Status must be canceled', status: 400 });
      if (statusOf(message) !== 'queued') {
        return reply(400, { code: 30409, message: `message is ${statusOf(message)} and cannot be canceled`, status: 400 });
      }
      message.status = 'canceled';
      return reply(200, { sid: message.sid, status: 'canceled' });
    }
    return reply(404, { code: 20404, message: `no route ${req.method} ${req.url}`, status: 404 });
  });
  return Object.assign(emulator, {
    baseUrl: server.origin,
    sent: () => [...messages.values()].filter((m) => statusOf(m) === 'sent'),
    close: server.close,
  });
}
