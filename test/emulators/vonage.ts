/**
 * A local Vonage SMS API: `/sms/json` with api_key and api_secret, answering HTTP 200 with a status per message as
 * Vonage does (0 accepted, 1 throttled, 4 bad credentials, 6 unroutable). It signs delivery receipts as Vonage
 * does: `sig` = HMAC-SHA256 (hex) with the signature secret over the sorted `&name=value` parameters.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A message the emulator accepted. */
export interface VonageMessage {
  id: string;
  to: string;
  from: string;
  text: string;
}

/** A running Vonage emulator. */
export interface VonageEmulator {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  signatureSecret: string;
  messages: VonageMessage[];
  /** Numbers answered with status 6 (unroutable). */
  unroutable: Set<string>;
  /** The next N sends get status 1 (throttled). */
  throttleNext: number;
  faults: Faults;
  /** A signed delivery receipt (form body) for a message. */
  signedReceipt(messageId: string, status: string, errCode?: string, extra?: Record<string, string>): string;
  close(): Promise<void>;
}

/** Vonage's `sig`, computed the way its SDK does for sha256 HMAC. */
export function vonageSig(secret: string, params: Record<string, string>): string {
  const text = Object.keys(params).filter((k) => k !== 'sig').sort().map((k) => `&${k}=${params[k]!.replace(/[&=]/g, '_')}`).join('');
  return createHmac('sha256', secret).update(text).digest('hex').toUpperCase();
}

/** Starts the emulator on a free loopback port. */
export async function startVonageEmulator(): Promise<VonageEmulator> {
  const apiKey = randomBytes(4).toString('hex');
  const apiSecret = randomBytes(8).toString('hex');
  const signatureSecret = randomBytes(16).toString('hex');
  const emulator = { messages: [] as VonageMessage[], unroutable: new Set<string>(), throttleNext: 0, faults: new Faults() };
  const server = await startLocalServer((req, res, raw) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (emulator.faults.play(() => req.socket.destroy(), (status, headers) => reply(status, { type: 'about:blank', title: 'injected fault' }, headers))) return;
    if (req.method !== 'POST' || req.url !== '/sms/json') return reply(404, { title: 'not found' });
    const p = Object.fromEntries(new URLSearchParams(raw.toString()));
    const one = (m: Record<string, string>) => reply(200, { 'message-count': '1', messages: [m] });
    if (p.api_key !== apiKey || p.api_secret !== apiSecret) return one({ status: '4', 'error-text': 'Bad Credentials' });
    if (emulator.throttleNext > 0) {
      emulator.throttleNext--;
      return one({ status: '1', 'error-text': 'Throughput Rate Exceeded - please wait [ 30 ] and retry' });
    }
    if (!p.to || !/^\d{7,15}$/.test(p.to) || emulator.unroutable.has(p.to)) return one({ status: '6', 'error-text': 'Unroutable message - rejected' });
    const id = randomBytes(8).toString('hex').toUpperCase();
    emulator.messages.push({ id, to: p.to, from: p.from ?? '', text: p.text ?? '' });
    return one({ to: p.to, 'message-id': id, status: '0', 'remaining-balance': '10.0', 'message-price': '0.03', network: '12345' });
  });
  return Object.assign(emulator, {
    baseUrl: server.origin,
    apiKey,
    apiSecret,
    signatureSecret,
    signedReceipt(messageId: string, status: string, errCode = '0', extra: Record<string, string> = {}) {
      const params: Record<string, string> = {
        msisdn: '14155550100',
        to: 'Acme',
        'network-code': '12345',
        messageId,
        price: '0.03',
        status,
        scts: '2601011200',
        'err-code': errCode,
        'api-key': apiKey,
        'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '),
        timestamp: String(Math.floor(Date.now() / 1000)),
        nonce: randomBytes(8).toString('hex'),
        ...extra,
      };
      params.sig = vonageSig(signatureSecret, params);
      return new URLSearchParams(params).toString();
    },
    close: server.close,
  });
}
