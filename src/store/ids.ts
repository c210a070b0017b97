/** Short, readable, unguessable ids (`cmp_7k2m9x4qpd`): an operator types one to confirm a stop. */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A new id: prefix, underscore, `length` random characters. */
export function newId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32];
  return `${prefix}_${out}`;
}

/** The stored form of an API key: its SHA-256 (keys are random and long, so no salt or stretching is needed). */
export function hashApiKey(rawKey: string): string {
  return createHash('sha256').update(rawKey).digest('hex');
}
