/**
 * Postmark webhooks (Delivery, Bounce, SpamComplaint, SubscriptionChange). Postmark signs nothing: the webhook URL
 * carries HTTP basic auth credentials (`config.webhookUsername`, `secrets.webhookPassword`), checked here.
 */
import { z } from 'zod';
import type { InboundReceipt } from '../store/receipts';
import { ReceiptMalformed, ReceiptRefused, header, parseJson, sameSecret, timeOf, type ReceiptScheme } from './scheme';

/** Bounce types that mean the address is bad (https://postmarkapp.com/developer/api/bounce-api#bounce-types). */
const HARD = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'Unknown', 'DMARCPolicy']);

const Record = z.looseObject({
  RecordType: z.string(),
  MessageID: z.string().min(1).max(200),
  ID: z.union([z.number(), z.string()]).optional(),
  Type: z.string().optional(),
  Description: z.string().optional(),
  Details: z.string().optional(),
  DeliveredAt: z.string().optional(),
  BouncedAt: z.string().optional(),
  ChangedAt: z.string().optional(),
  SuppressSending: z.boolean().optional(),
});

/** Postmark's webhooks. */
export const postmarkReceipts: ReceiptScheme = {
  kind: 'postmark',
  channel: 'email',
  signature: 'HTTP basic auth in the webhook URL (config.webhookUsername, secrets.webhookPassword)',
  async verify(req, ctx) {
    const password = ctx.secrets.webhookPassword as string | undefined;
    if (!password) throw new ReceiptRefused('no webhookPassword in the settings', 403);
    const expected = `Basic ${Buffer.from(`${(ctx.config.webhookUsername as string | undefined) ?? 'herald'}:${password}`).toString('base64')}`;
    if (!sameSecret(header(req.headers, 'authorization') ?? '', expected)) throw new ReceiptRefused('wrong or missing basic auth');
    const parsed = Record.safeParse(parseJson(req.body));
    if (!parsed.success) throw new ReceiptMalformed(`not a Postmark webhook: ${parsed.error.issues[0]?.message ?? ''}`);
    const r = parsed.data;
    const base = { channel: 'email' as const, providerMessageId: r.MessageID };
    const receipts: InboundReceipt[] = [];
    if (r.RecordType === 'Delivery') {
      receipts.push({ ...base, eventId: `delivery:${r.MessageID}`, outcome: 'delivered', at: timeOf(r.DeliveredAt, ctx.now) });
    } else if (r.RecordType === 'Bounce') {
      const hard = HARD.has(r.Type ?? '');
      receipts.push({
        ...base,
        eventId: `bounce:${r.ID ?? r.MessageID}`,
        outcome: 'bounced',
        bounce: hard ? 'hard' : 'soft',
        suppress: hard,
        reason: [r.Type, r.Details ?? r.Description].filter(Boolean).join(': '),
        at: timeOf(r.BouncedAt, ctx.now),
      });
    } else if (r.RecordType === 'SpamComplaint') {
      receipts.push({ ...base, eventId: `spam:${r.ID ?? r.MessageID}`, outcome: 'complained', suppress: true, at: timeOf(r.BouncedAt, ctx.now) });
    } else if (r.RecordType === 'SubscriptionChange' && r.SuppressSending) {
      receipts.push({ ...base, eventId: `unsubscribe:${r.MessageID}:${r.ChangedAt ?? ''}`, outcome: 'unsubscribed', suppress: true, at: timeOf(r.ChangedAt, ctx.now) });
    }
    return { receipts };
  },
};
