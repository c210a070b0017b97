/**
 * A local Mailgun Messages API: basic auth `api:<key>`, the form checked, an invalid recipient answered 400 as
 * Mailgun does, 200 with an `<id@domain>` otherwise. It signs webhooks as Mailgun does: HMAC-SHA256 of
 * timestamp + token with the webhook signing key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A message the emulator accepted. */
export interface MailgunMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  fields: Record<string, string>;
}

/** A running Mailgun emulator. */
export interface MailgunEmulator {
  baseUrl: string;
  domain: string;
  apiKey: string;
  signingKey: string;
  messages: MailgunMessage[];
  invalid: Set<string>;
  faults: Faults;
  /** A signed webhook body for `eventData` (an id is added unless it has one). */
  signedWebhook(eventData: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startMailgunEmulator(): Promise<MailgunEmulator> {
  const domain = 'mg.acme.test';
  const apiKey = randomBytes(16).toString('hex');
  const signingKey = randomBytes(16).toString('hex');
  const messages: MailgunMessage[] = [];
  const invalid = new Set<string>();
  const faults = new Faults();
  const server = await startLocalServer((req, res, raw) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (faults.play(() => req.socket.destroy(), (status, headers) => reply(status, { message: 'injected fault' }, headers))) return;
    if (req.method !== 'POST' || req.url !== `/v3/${domain}/messages`) return reply(404, { message: 'not found' });
    if (req.headers.authorization !== `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`) return reply(401, { message: 'Invalid private key' });
    const fields = Object.fromEntries(new URLSearchParams(raw.toString()));
    const to = fields.to ?? '';
    if (!/^[^@\s]+@[^@\s]+$/.test(to) || invalid.has(to)) return reply(400, { message: "'to' parameter is not a valid address. please check documentation" });
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}@${domain}`;
    messages.push({ id, to, subject: fields.subject ?? '', text: fields.text ?? '', fields });
    return reply(200, { id: `<${id}>`, message: 'Queued. Thank you.' });
  });
  return {
    baseUrl: server.origin,
    domain,
    apiKey,
    signingKey,
    messages,
    invalid,
    faults,
    signedWebhook(eventData) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const token = randomBytes(25).toString('hex');
      return {
        signature: { timestamp, token, signature: createHmac('sha256', signingKey).update(timestamp + token).digest('hex') },
        'event-data': { id: randomBytes(11).toString('base64url'), timestamp: Date.now() / 1000, ...eventData },
      };
    },
    close: server.close,
  };
}
