/**
 * A local SendGrid v3 Mail Send API: Bearer API key, the JSON body checked, a refused recipient answered as SendGrid
 * does (400 naming `personalizations.0.to.0.email`), 202 with X-Message-Id. It signs Event Webhook batches the way
 * SendGrid does: ECDSA P-256 over timestamp + body with its own key (its public key goes in Herald's settings).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A message the emulator accepted. */
export interface SendgridMessage {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
}

/** A running SendGrid emulator. */
export interface SendgridEmulator {
  baseUrl: string;
  apiKey: string;
  /** The Event Webhook verification key, base64 DER as SendGrid shows it. */
  publicKey: string;
  messages: SendgridMessage[];
  invalid: Set<string>;
  faults: Faults;
  /** A signed Event Webhook request for `events` (each gets an sg_event_id unless it has one). */
  signedEvents(events: Record<string, unknown>[]): { body: string; headers: Record<string, string> };
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startSendgridEmulator(): Promise<SendgridEmulator> {
  const apiKey = `SG.${randomBytes(16).toString('hex')}`;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const messages: SendgridMessage[] = [];
  const invalid = new Set<string>();
  const faults = new Faults();
  const server = await startLocalServer((req, res, raw) => {
    const reply = (status: number, body: object | null, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ? JSON.stringify(body) : '');
    if (faults.play(() => req.socket.destroy(), (status, headers) => reply(status, { errors: [{ message: 'injected fault' }] }, headers))) return;
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') return reply(404, { errors: [{ message: 'not found' }] });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(401, { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null }] });
    const body = JSON.parse(raw.toString()) as {
      personalizations: { to: { email: string }[] }[];
      from: { email: string; name?: string };
      subject: string;
      content: { type: string; value: string }[];
      headers?: Record<string, string>;
    };
    const to = body.personalizations?.[0]?.to?.[0]?.email ?? '';
    if (!/^[^@\s]+@[^@\s]+$/.test(to) || invalid.has(to)) {
      return reply(400, { errors: [{ message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' }] });
    }
    if (!body.from?.email || !body.content?.length) return reply(400, { errors: [{ message: 'from and content are required', field: 'from' }] });
    const id = randomBytes(11).toString('base64url');
    const html = body.content.find((c) => c.type === 'text/html')?.value;
    messages.push({
      id,
      to,
      from: body.from.email,
      subject: body.subject,
      text: body.content.find((c) => c.type === 'text/plain')?.value ?? '',
      ...(html ? { html } : {}),
      headers: body.headers ?? {},
    });
    return reply(202, null, { 'x-message-id': id });
  });
  return {
    baseUrl: server.origin,
    apiKey,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    messages,
    invalid,
    faults,
    signedEvents(events) {
      const body = JSON.stringify(events.map((e) => ({ sg_event_id: randomBytes(12).toString('base64url'), timestamp: Math.floor(Date.now() / 1000), ...e })));
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-twilio-email-event-webhook-signature': signature,
          'x-twilio-email-event-webhook-timestamp': timestamp,
        },
      };
    },
    close: server.close,
  };
}
