/**
 * Vonage SMS delivery receipts, signed with the account's signature secret: the `sig` parameter is the hash of
 * every other parameter sorted by name as `&name=value` (with `&` and `=` in values replaced by `_`), by the
 * signature method set in the Vonage dashboard (`config.signatureMethod`: md5hash appends the secret and takes MD5;
 * md5, sha1, sha256, sha512 are HMACs keyed with it). `timestamp` must be within 5 minutes.
 */
import { createHash, createHmac } from 'node:crypto';
import { ReceiptMalformed, ReceiptRefused, header, parseJson, sameSecret, type ReceiptScheme } from './scheme';

/** Error codes of a number that can never receive (absent for good, illegal number): suppressed. */
const DEAD_NUMBER = new Set(['3', '9']);
const MAX_SKEW_MS = 5 * 60_000;

/** Vonage's signature methods. */
export const VONAGE_SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;

/** Vonage's signature of callback parameters. */
export function vonageSignature(method: (typeof VONAGE_SIGNATURE_METHODS)[number], secret: string, params: Record<string, string>): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sig')
    .sort()
    .map((k) => `&${k}=${params[k]!.replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash') return createHash('md5').update(text + secret).digest('hex');
  return createHmac(method, secret).update(text).digest('hex');
}

/** Vonage's SMS delivery receipts (POST, form or JSON). */
export const vonageReceipts: ReceiptScheme = {
  kind: 'vonage',
  channel: 'sms',
  signature: 'signed callbacks: sig = hash of sorted params with the signature secret (md5hash or an HMAC), timestamp within 5 min',
  async verify(req, ctx) {
    const secret = ctx.secrets.signatureSecret as string | undefined;
    if (!secret) throw new ReceiptRefused('no signatureSecret in the settings', 403);
    const raw = /json/.test(header(req.headers, 'content-type') ?? '')
      ? parseJson(req.body)
      : Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ReceiptMalformed('body is not a set of parameters');
    const params = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    if (!params.sig) throw new ReceiptRefused('missing sig');
    const method = (ctx.config.signatureMethod as (typeof VONAGE_SIGNATURE_METHODS)[number] | undefined) ?? 'sha256';
    if (!sameSecret(params.sig.toLowerCase(), vonageSignature(method, secret, params))) throw new ReceiptRefused('sig does not verify');
    const ts = Number(params.timestamp) * 1000;
    if (!Number.isFinite(ts) || Math.abs(ctx.now.getTime() - ts) > MAX_SKEW_MS) throw new ReceiptRefused('timestamp missing or not within 5 minutes');
    if (params['api-key'] !== undefined && params['api-key'] !== ctx.config.apiKey) throw new ReceiptRefused('another API key', 403);
    const id = params.messageId;
    const status = params.status;
    if (!id || !status) throw new ReceiptMalformed('messageId and status are required');
    const base = { eventId: `${id}:${status}`, channel: 'sms' as const, providerMessageId: id, at: ctx.now };
    if (status === 'delivered') return { receipts: [{ ...base, outcome: 'delivered' }] };
    if (['failed', 'rejected', 'expired'].includes(status)) {
      const code = params['err-code'] ?? '';
      return { receipts: [{ ...base, outcome: 'undelivered', reason: `${status} ${code}`.trim(), suppress: DEAD_NUMBER.has(code) }] };
    }
    return { receipts: [] };
  },
};
