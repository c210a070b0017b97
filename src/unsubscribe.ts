/** One-click unsubscribe links (RFC 8058): a signed token names the account, contact and channel. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CHANNELS, type Channel } from './domain/vocabulary';

/** What an unsubscribe token stands for. */
export interface UnsubscribeTarget {
  accountId: string;
  contactId: string;
  channel: Channel;
}

/** A token for `target`, signed with `key` (HMAC-SHA256). */
export function unsubscribeToken(key: Buffer, target: UnsubscribeTarget): string {
  const payload = Buffer.from(JSON.stringify([target.accountId, target.contactId, target.channel])).toString('base64url');
  return `${payload}.${sign(key, payload)}`;
}

/** The target of a token this key signed, or null for anything else. */
export function readUnsubscribeToken(key: Buffer, token: string): UnsubscribeTarget | null {
  const [payload, signature] = token.split('.');
  if (!payload || !signature) return null;
  const expected = Buffer.from(sign(key, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const [accountId, contactId, channel] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as string[];
    if (!accountId || !contactId || !CHANNELS.includes(channel as Channel)) return null;
    return { accountId, contactId, channel: channel as Channel };
  } catch {
    return null;
  }
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(`unsubscribe:${payload}`).digest('base64url');
}
