/**
 * A local Apple Push Notification service: HTTP/2 over TLS (the emulators' self-signed certificate), the provider
 * token checked as APNs checks it (an ES256 JWT with the team id as issuer and the key id, verified with the
 * public half of the .p8 key the emulator made), `apns-topic` required, 410 Unregistered and 400 BadDeviceToken
 * for gone tokens, 403 ExpiredProviderToken once tokens are expired, and faults (429, 503).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { jwtVerify, type KeyLike } from 'jose';
import { Faults } from './faults';

/** A notification the emulator accepted. */
export interface ApnsNotification {
  apnsId: string;
  token: string;
  topic: string;
  payload: { aps: { alert: { title?: string; body: string } } };
}

/** A running APNs emulator. */
export interface ApnsEmulator {
  baseUrl: string;
  /** The emulator's certificate, to trust (config.ca). */
  ca: string;
  teamId: string;
  keyId: string;
  bundleId: string;
  /** The .p8 key (PKCS#8 PEM) whose public half the emulator checks tokens with. */
  privateKey: string;
  received: ApnsNotification[];
  unregistered: Set<string>;
  faults: Faults;
  /** Provider tokens seen so far are refused with ExpiredProviderToken from now on. */
  expireTokens(): void;
  /** Distinct provider tokens seen. */
  tokensSeen: Set<string>;
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startApnsEmulator(): Promise<ApnsEmulator> {
  const tls = path.join(__dirname, 'tls');
  const ca = readFileSync(path.join(tls, 'cert.pem'), 'utf8');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const teamId = 'TEAM123456';
  const keyId = 'KEY1234567';
  const bundleId = 'test.acme.app';
  const received: ApnsNotification[] = [];
  const unregistered = new Set<string>();
  const faults = new Faults();
  const tokensSeen = new Set<string>();
  const expired = new Set<string>();
  const sessions = new Set<{ destroy(): void }>();

  const server: Http2SecureServer = createSecureServer({ key: readFileSync(path.join(tls, 'key.pem')), cert: ca });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      void handle(stream, headers, Buffer.concat(chunks)).catch(() => answer(stream, 500, 'InternalServerError'));
    });
  });
  const answer = (stream: ServerHttp2Stream, status: number, reason?: string, extra: Record<string, string> = {}) => {
    if (stream.destroyed) return;
    stream.respond({ ':status': status, 'apns-id': extra['apns-id'] ?? randomUUID(), ...extra, ...(reason ? { 'content-type': 'application/json' } : {}) });
    stream.end(reason ? JSON.stringify({ reason, ...(status === 410 ? { timestamp: Date.now() } : {}) }) : undefined);
  };
  async function handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer): Promise<void> {
    if (faults.play(() => stream.close(), (status, headers) => answer(stream, status, status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', headers))) return;
    const match = /^\/3\/device\/([0-9a-zA-Z_-]+)$/.exec(String(headers[':path']));
    if (headers[':method'] !== 'POST' || !match) return answer(stream, 404, 'BadPath');
    const auth = String(headers.authorization ?? '');
    const jwt = auth.replace(/^bearer /, '');
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, publicKey as unknown as KeyLike, { algorithms: ['ES256'], issuer: teamId });
      if (protectedHeader.kid !== keyId) return answer(stream, 403, 'InvalidProviderToken');
      if (expired.has(jwt) || payload.iat === undefined) return answer(stream, 403, 'ExpiredProviderToken');
    } catch {
      return answer(stream, 403, 'InvalidProviderToken');
    }
    tokensSeen.add(jwt);
    if (headers['apns-topic'] !== bundleId) return answer(stream, 400, 'DeviceTokenNotForTopic');
    const token = match[1]!;
    if (unregistered.has(token)) return answer(stream, 410, 'Unregistered');
    if (token.length < 8) return answer(stream, 400, 'BadDeviceToken');
    const apnsId = String(headers['apns-id'] ?? randomUUID());
    received.push({ apnsId, token, topic: bundleId, payload: JSON.parse(body.toString()) as ApnsNotification['payload'] });
    return answer(stream, 200, undefined, { 'apns-id': apnsId });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca,
    teamId,
    keyId,
    bundleId,
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    received,
    unregistered,
    faults,
    tokensSeen,
    expireTokens() {
      for (const t of tokensSeen) expired.add(t);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.destroy();
      }),
  };
}
