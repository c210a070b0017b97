/**
 * One-click unsubscribe links (RFC 8058): an opaque token names the account, contact and channel until it
 * expires. It is the target and its expiry sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the
 * secrets key for this purpose alone, so nothing of whom it names can be read from it, it cannot be altered or
 * extended, and the key that seals provider secrets is never used on it.
 *
 * Links issued before these tokens (`<base64url JSON>.<HMAC>`) are still honoured, exactly as issued (no
 * trailing junk): they carry no expiry, so they work until the secrets key changes.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CHANNELS, type Channel } from './domain/vocabulary';

/** What an unsubscribe token stands for. */
export interface UnsubscribeTarget {
  accountId: string;
  contactId: string;
  channel: Channel;
}

/** How long a link works after its email is sent: long past any mail client's or law's expectations (RFC 8058). */
export const UNSUBSCRIBE_LIFETIME_MS = 180 * 86_400_000;

const VERSION = 2;
const derived = new WeakMap<Buffer, Buffer>();

/** The key unsubscribe tokens are sealed with, derived from the secrets key. */
function tokenKey(secretsKey: Buffer): Buffer {
  let key = derived.get(secretsKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretsKey, Buffer.from('herald'), Buffer.from('unsubscribe-token v2'), 32));
    derived.set(secretsKey, key);
  }
  return key;
}

/** Random IVs are drawn from a block of this many (one CSPRNG call per block, not per email); each is used once. */
const IV_BLOCK = 1024;
let ivs = Buffer.alloc(0);
let ivAt = 0;

/** A fresh random 12-byte IV, never handed out twice. */
function nextIv(): Buffer {
  if (ivAt >= ivs.length) {
    ivs = randomBytes(12 * IV_BLOCK);
    ivAt = 0;
  }
  ivAt += 12;
  return ivs.subarray(ivAt - 12, ivAt);
}

/** A token for `target`, issued at `issuedAt` (now): opaque, expiring UNSUBSCRIBE_LIFETIME_MS later. */
export function unsubscribeToken(secretsKey: Buffer, target: UnsubscribeTarget, issuedAt = Date.now()): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', tokenKey(secretsKey), iv);
  cipher.setAAD(Buffer.from([VERSION]));
  const expiresAt = Math.ceil((issuedAt + UNSUBSCRIBE_LIFETIME_MS) / 1000);
  const plain = Buffer.from(JSON.stringify([target.accountId, target.contactId, target.channel, expiresAt]));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, data, cipher.getAuthTag()]).toString('base64url');
}

/** Why a token is not honoured. */
export type UnsubscribeRefusal = 'invalid' | 'expired';

/** The target of a token, or why it is not honoured. */
export function checkUnsubscribeToken(secretsKey: Buffer, token: string): UnsubscribeTarget | UnsubscribeRefusal {
  if (/^[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}$/.test(token)) return readLegacy(secretsKey, token) ?? 'invalid';
  if (!/^[A-Za-z0-9_-]{40,2000}$/.test(token)) return 'invalid';
  const bytes = Buffer.from(token, 'base64url');
  // Only the canonical encoding (base64url decoding ignores some trailing characters).
  if (bytes.toString('base64url') !== token || bytes[0] !== VERSION || bytes.length < 1 + 12 + 16 + 2) return 'invalid';
  try {
    const decipher = createDecipheriv('aes-256-gcm', tokenKey(secretsKey), bytes.subarray(1, 13));
    decipher.setAAD(bytes.subarray(0, 1));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(13, bytes.length - 16)), decipher.final()]);
    const [accountId, contactId, channel, expiresAt] = JSON.parse(plain.toString('utf8')) as [string, string, string, number];
    if (typeof accountId !== 'string' || typeof contactId !== 'string' || !CHANNELS.includes(channel as Channel)) return 'invalid';
    if (!(typeof expiresAt === 'number' && expiresAt * 1000 > Date.now())) return 'expired';
    return { accountId, contactId, channel: channel as Channel };
  } catch {
    return 'invalid';
  }
}

/** The target of a token honoured now, or null. */
export function readUnsubscribeToken(secretsKey: Buffer, token: string): UnsubscribeTarget | null {
  const checked = checkUnsubscribeToken(secretsKey, token);
  return typeof checked === 'string' ? null : checked;
}

/** A link issued before version 2: `<payload>.<HMAC-SHA256 of it>`, exactly. */
function readLegacy(secretsKey: Buffer, token: string): UnsubscribeTarget | null {
  const [payload, signature] = token.split('.') as [string, string];
  const expected = Buffer.from(createHmac('sha256', secretsKey).update(`unsubscribe:${payload}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const parts = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown;
    if (!Array.isArray(parts) || parts.length !== 3) return null;
    const [accountId, contactId, channel] = parts as string[];
    if (!accountId || !contactId || !CHANNELS.includes(channel as Channel)) return null;
    return { accountId, contactId, channel: channel as Channel };
  } catch {
    return null;
  }
}
