/**
 * A local Web Push service (RFC 8030) with browser-side subscriptions. For each push it verifies the VAPID JWT
 * (RFC 8292: ES256 signature by the key in `k`, audience = this origin, expiry within 24 h, a mailto:/https:
 * subject), checks the TTL and `Content-Encoding: aes128gcm` headers, and decrypts the payload (RFC 8291) with
 * the subscription's private key. Gone subscriptions answer 410. Faults: 5xx, 429 with Retry-After, hanging.
 */
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { decrypt } from 'http_ece';
import { importJWK, jwtVerify } from 'jose';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A push the service accepted, decrypted. */
export interface ReceivedPush {
  subscriptionId: string;
  /** The VAPID public key that signed it. */
  vapidKey: string;
  subject: string;
  ttl: number;
  payload: unknown;
}

/** A running Web Push emulator. */
export interface WebPushEmulator {
  origin: string;
  received: ReceivedPush[];
  /** Subscriptions the browser dropped: pushes to them get 410 Gone. */
  gone: Set<string>;
  rejected: { reason: string }[];
  faults: Faults;
  /** A new subscription, as `PushManager.subscribe()` would return it. */
  subscribe(): { id: string; subscription: { endpoint: string; keys: { p256dh: string; auth: string } } };
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startWebPushEmulator(): Promise<WebPushEmulator> {
  const subscriptions = new Map<string, { ecdh: ECDH; auth: string }>();
  const state = { received: [] as ReceivedPush[], gone: new Set<string>(), rejected: [] as { reason: string }[], faults: new Faults() };
  let origin = '';

  const server = await startLocalServer(async (req, res, rawBody) => {
    const reply = (status: number, text = '', headers: Record<string, string> = {}) => res.writeHead(status, headers).end(text);
    const refuse = (status: number, reason: string) => {
      state.rejected.push({ reason });
      reply(status, reason);
    };
    const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !id) return reply(404, 'no such endpoint');
    if (state.faults.play(() => req.socket.destroy(), (status, headers) => reply(status, 'injected fault', headers))) return;
    if (state.gone.has(id)) return reply(410, 'subscription expired or unsubscribed');
    const subscription = subscriptions.get(id);
    if (!subscription) return reply(404, 'unknown subscription');

    const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
    if (!auth) return refuse(401, 'Authorization must be "vapid t=<jwt>, k=<key>"');
    const [, token, vapidKey] = auth as unknown as [string, string, string];
    let subject: string;
    try {
      const point = Buffer.from(vapidKey, 'base64url');
      if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 public key');
      const key = await importJWK(
        { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
        'ES256',
      );
      const { payload } = await jwtVerify(token, key, { audience: origin, algorithms: ['ES256'] });
      if (!payload.exp || payload.exp > Date.now() / 1000 + 24 * 3600) throw new Error('exp must be within 24 hours');
      subject = String(payload.sub ?? '');
      if (!/^(mailto:|https:)/.test(subject)) throw new Error('sub must be a mailto: or https: URL');
    } catch (err) {
      return refuse(403, `VAPID: ${(err as Error).message}`);
    }
    const ttl = Number(req.headers.ttl);
    if (!Number.isInteger(ttl) || ttl < 0) return refuse(400, 'TTL header required');
    if (req.headers['content-encoding'] !== 'aes128gcm') return refuse(415, 'Content-Encoding must be aes128gcm');
    let payload: unknown;
    try {
      const plain = decrypt(rawBody, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth });
      payload = JSON.parse(plain.toString('utf8'));
    } catch (err) {
      return refuse(400, `payload does not decrypt: ${(err as Error).message}`);
    }
    state.received.push({ subscriptionId: id, vapidKey, subject, ttl, payload });
    return reply(201, '', { location: `${origin}/message/${randomBytes(6).toString('hex')}` });
  });
  origin = server.origin;
  return Object.assign(state, {
    origin,
    subscribe() {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subscriptions.set(id, { ecdh, auth });
      return { id, subscription: { endpoint: `${origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } } };
    },
    close: server.close,
  });
}
