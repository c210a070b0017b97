/**
 * Mailgun webhooks. Each body carries `signature: {timestamp, token, signature}`: the signature is hex
 * HMAC-SHA256, keyed with the HTTP webhook signing key (`secrets.webhookSigningKey`), of timestamp + token; the
 * timestamp must be recent and the token is bound, in the store, to the first event it came with.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { InboundReceipt } from '../store/receipts';
import { ReceiptMalformed, ReceiptRefused, parseJson, sameSecret, timeOf, type ReceiptScheme } from './scheme';

const Body = z.looseObject({
  signature: z.object({ timestamp: z.string().max(20), token: z.string().max(200), signature: z.string().max(200) }),
  'event-data': z.looseObject({
    id: z.string().min(1).max(200),
    event: z.string(),
    timestamp: z.number().optional(),
    severity: z.string().optional(),
    reason: z.string().optional(),
    message: z.looseObject({ headers: z.looseObject({ 'message-id': z.string().min(1).max(500) }) }).optional(),
    'delivery-status': z.looseObject({ code: z.number().optional(), description: z.string().optional(), message: z.string().optional() }).optional(),
  }),
});

/** Mailgun's signature of a webhook. */
export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
}

/** Mailgun's message ids come back with angle brackets from the send and without them in events. */
export function mailgunMessageId(id: string): string {
  return id.replace(/^<|>$/g, '');
}

/**
 * How old a signature may be. Mailgun retries a webhook for 8 hours; tokens are kept as long (an older token's
 * signature is refused by its timestamp, so forgetting the token opens nothing).
 */
export const MAILGUN_SIGNATURE_MAX_AGE_MS = 12 * 3600_000;
/** How far ahead of Herald's clock a signature's timestamp may be (clock skew). */
const MAX_SKEW_MS = 5 * 60_000;

/** Mailgun's webhooks. */
export const mailgunReceipts: ReceiptScheme = {
  kind: 'mailgun',
  channel: 'email',
  signature: 'HMAC-SHA256 of timestamp + token with the webhook signing key (body.signature)',
  async verify(req, ctx) {
    const key = ctx.secrets.webhookSigningKey as string | undefined;
    if (!key) throw new ReceiptRefused('no webhookSigningKey in the settings', 403);
    const parsed = Body.safeParse(parseJson(req.body));
    if (!parsed.success) {
      // Without a readable signature there is nothing to verify: refuse rather than describe.
      throw new ReceiptRefused('no Mailgun signature in the body');
    }
    const { signature: sig, 'event-data': e } = parsed.data;
    if (!sameSecret(sig.signature.toLowerCase(), mailgunSignature(key, sig.timestamp, sig.token))) throw new ReceiptRefused('signature does not verify');
    const signedAt = new Date(Number(sig.timestamp) * 1000);
    const age = ctx.now.getTime() - signedAt.getTime();
    if (!(age <= MAILGUN_SIGNATURE_MAX_AGE_MS && age >= -MAX_SKEW_MS)) throw new ReceiptRefused('signature timestamp too old or in the future');
    // Mailgun signs only timestamp + token, not the body: a token that came with one event is refused with another,
    // so a captured signature cannot carry a forged event (the same event again is a replay, counted once).
    if (!(await ctx.bindToken(sig.token, e.id, signedAt))) throw new ReceiptRefused('signature token already used for another event');
    const messageId = e.message?.headers['message-id'];
    if (!messageId) throw new ReceiptMalformed('event-data.message.headers.message-id is required');
    const base = { eventId: e.id, channel: 'email' as const, providerMessageId: mailgunMessageId(messageId), at: timeOf(e.timestamp, ctx.now) };
    const status = e['delivery-status'];
    const reason = [status?.code, status?.description || status?.message || e.reason].filter((x) => x !== undefined && x !== '').join(' ');
    const receipts: InboundReceipt[] = [];
    if (e.event === 'delivered') receipts.push({ ...base, outcome: 'delivered' });
    else if (e.event === 'failed') {
      const hard = e.severity === 'permanent';
      receipts.push({ ...base, outcome: 'bounced', bounce: hard ? 'hard' : 'soft', suppress: hard, ...(reason ? { reason } : {}) });
    } else if (e.event === 'complained') receipts.push({ ...base, outcome: 'complained', suppress: true });
    else if (e.event === 'unsubscribed') receipts.push({ ...base, outcome: 'unsubscribed', suppress: true });
    return { receipts };
  },
};
