/**
 * How a provider's receipts are checked and read: each receipt scheme verifies the provider's documented signature
 * on the raw request and turns its events into channel-neutral receipts. A scheme throws `ReceiptRefused` (the
 * request is not the provider's: 401/403, nothing changes) or `ReceiptMalformed` (400); events it does not count
 * (opens, clicks, "queued") are left out.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Channel } from '../domain/vocabulary';
import type { InboundReceipt } from '../store/receipts';

/** A receipt request as it arrived: the URL the provider called (public base + path), headers, raw body. */
export interface InboundRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What a scheme may use besides the request: the account's settings of this kind, and HTTP for SNS. */
export interface SchemeContext {
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  /** GETs a URL the scheme has already validated (SNS signing certificates, subscription confirmations). */
  fetchText(url: string): Promise<{ status: number; text: string }>;
  /** Origins (scheme://host:port) trusted besides AWS's own for SNS certificates and confirmations: for tests. */
  trustedSnsOrigins: readonly string[];
  now: Date;
  /**
   * Binds a one-use signature token to the event it came with, for every API process on the store: false when the
   * token already came with another event.
   */
  bindToken(token: string, eventId: string, signedAt: Date): Promise<boolean>;
}

/** What a verified request holds. */
export interface VerifiedReceipts {
  receipts: InboundReceipt[];
  /** A note for the log (e.g. "subscription confirmed"). */
  note?: string;
}

/** One provider kind's receipt scheme. */
export interface ReceiptScheme {
  kind: string;
  channel: Channel;
  /** One line for the README and the settings view: what is verified. */
  signature: string;
  verify(req: InboundRequest, ctx: SchemeContext): Promise<VerifiedReceipts>;
}

/** The request is not from the provider (bad or missing signature or credentials): 401, or 403 when `forbidden`. */
export class ReceiptRefused extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(message);
    this.name = 'ReceiptRefused';
  }
}

/** The request body cannot be read as the provider's events: 400. */
export class ReceiptMalformed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiptMalformed';
  }
}

/** Compares two secrets in constant time (false when their lengths differ). */
export function sameSecret(a: string | Buffer, b: string | Buffer): boolean {
  const x = Buffer.isBuffer(a) ? a : Buffer.from(a);
  const y = Buffer.isBuffer(b) ? b : Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses JSON or throws ReceiptMalformed. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ReceiptMalformed('body is not JSON');
  }
}

/** The first value of a header. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A Date from seconds since the epoch (or an ISO string), else `fallback`. */
export function timeOf(value: unknown, fallback: Date): Date {
  const d = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : fallback;
  return Number.isNaN(d.getTime()) ? fallback : d;
}
