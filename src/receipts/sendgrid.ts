/**
 * SendGrid Event Webhook receipts. Signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is an ECDSA
 * (P-256, SHA-256) signature, base64 DER, over `X-Twilio-Email-Event-Webhook-Timestamp` + the raw body, checked
 * with the verification key SendGrid shows (base64 DER, in `config.eventWebhookPublicKey`).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { InboundReceipt } from '../store/receipts';
import { ReceiptMalformed, ReceiptRefused, header, parseJson, timeOf, type ReceiptScheme } from './scheme';

const Event = z.looseObject({
  event: z.string(),
  sg_event_id: z.string().min(1).max(200),
  sg_message_id: z.string().min(1).max(500).optional(),
  timestamp: z.number().optional(),
  type: z.string().optional(),
  reason: z.string().optional(),
  status: z.string().optional(),
});
const Events = z.array(Event).max(10_000);

/** Verification keys by their base64 text: parsing one costs more than checking a batch's signature. */
const publicKeys = new Map<string, KeyObject>();
const MAX_KEYS = 1_000;

function publicKeyOf(key: string): KeyObject {
  let publicKey = publicKeys.get(key);
  if (!publicKey) {
    publicKey = createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(key, publicKey);
  }
  return publicKey;
}

/** SendGrid's Event Webhook. */
export const sendgridReceipts: ReceiptScheme = {
  kind: 'sendgrid',
  channel: 'email',
  signature: 'ECDSA P-256 over timestamp + body (X-Twilio-Email-Event-Webhook-Signature), verification key in config',
  async verify(req, ctx) {
    const key = ctx.config.eventWebhookPublicKey as string | undefined;
    if (!key) throw new ReceiptRefused('no eventWebhookPublicKey in the settings: signed events cannot be verified', 403);
    const signature = header(req.headers, 'x-twilio-email-event-webhook-signature');
    const timestamp = header(req.headers, 'x-twilio-email-event-webhook-timestamp');
    if (!signature || !timestamp) throw new ReceiptRefused('missing signature headers');
    const ok = verify('sha256', Buffer.concat([Buffer.from(timestamp), req.body]), publicKeyOf(key), Buffer.from(signature, 'base64'));
    if (!ok) throw new ReceiptRefused('signature does not verify');
    const parsed = Events.safeParse(parseJson(req.body));
    if (!parsed.success) throw new ReceiptMalformed(`not SendGrid events: ${parsed.error.issues[0]?.message ?? ''}`);
    const receipts: InboundReceipt[] = [];
    for (const e of parsed.data) {
      if (!e.sg_message_id) continue;
      const base = {
        eventId: e.sg_event_id,
        channel: 'email' as const,
        // sg_message_id is the X-Message-Id of the send followed by `.filter...`.
        providerMessageId: e.sg_message_id.split('.')[0]!,
        at: timeOf(e.timestamp, ctx.now),
      };
      const reason = e.reason ?? e.status;
      const withReason = reason ? { reason } : {};
      if (e.event === 'delivered') receipts.push({ ...base, outcome: 'delivered' });
      else if (e.event === 'bounce') {
        const hard = e.type !== 'blocked';
        receipts.push({ ...base, outcome: 'bounced', bounce: hard ? 'hard' : 'soft', suppress: hard, ...withReason });
      } else if (e.event === 'dropped') receipts.push({ ...base, outcome: 'undelivered', ...withReason });
      else if (e.event === 'spamreport') receipts.push({ ...base, outcome: 'complained', suppress: true });
      else if (e.event === 'unsubscribe' || e.event === 'group_unsubscribe') receipts.push({ ...base, outcome: 'unsubscribed', suppress: true });
    }
    return { receipts };
  },
};
