/**
 * Amazon SES notifications through Amazon SNS. Each SNS message is verified as AWS documents: its signing
 * certificate URL must be https on `sns.<region>.amazonaws.com` (or an origin the operator trusts, for tests), the
 * certificate is fetched (and cached), and `Signature` is checked over the canonical string of the message's fields
 * (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2). A SubscriptionConfirmation is confirmed by GETting its
 * SubscribeURL (validated the same way). `config.snsTopicArn`, when set, must match.
 */
import { X509Certificate, verify } from 'node:crypto';
import { z } from 'zod';
import type { InboundReceipt } from '../store/receipts';
import { ReceiptMalformed, ReceiptRefused, parseJson, timeOf, type ReceiptScheme, type SchemeContext } from './scheme';

const SnsMessage = z.looseObject({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().max(300),
  Message: z.string().max(300_000),
  Timestamp: z.string().max(50),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().max(2000),
  SigningCertURL: z.string().max(1000),
  Subject: z.string().max(300).optional(),
  Token: z.string().max(2000).optional(),
  SubscribeURL: z.string().max(2000).optional(),
});
type Sns = z.infer<typeof SnsMessage>;

const SesEvent = z.looseObject({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  mail: z.looseObject({ messageId: z.string().min(1).max(200), timestamp: z.string().optional() }),
  bounce: z
    .looseObject({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      timestamp: z.string().optional(),
      bouncedRecipients: z.array(z.looseObject({ diagnosticCode: z.string().optional() })).optional(),
    })
    .optional(),
  complaint: z.looseObject({ timestamp: z.string().optional(), complaintFeedbackType: z.string().optional() }).optional(),
  delivery: z.looseObject({ timestamp: z.string().optional(), smtpResponse: z.string().optional() }).optional(),
  reject: z.looseObject({ reason: z.string().optional() }).optional(),
});

const AWS_SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const certificates = new Map<string, string>();

/** The fields SNS signs, in order, per message type. */
function stringToSign(m: Sns): string {
  const fields =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  return fields
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f] as string}\n`)
    .join('');
}

/** Whether `raw` is a URL SNS may make Herald GET: https on AWS's SNS host, or a trusted origin. */
function snsUrl(raw: string, ctx: SchemeContext, pem: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReceiptRefused('not a URL: refused', 403);
  }
  const aws = url.protocol === 'https:' && AWS_SNS_HOST.test(url.hostname) && url.port === '';
  if (!aws && !ctx.trustedSnsOrigins.includes(url.origin)) throw new ReceiptRefused(`${url.origin} is not an SNS host`, 403);
  if (pem && !url.pathname.endsWith('.pem')) throw new ReceiptRefused('the signing certificate URL is not a .pem', 403);
  return url;
}

/** Checks an SNS message's signature with its (validated, fetched, cached) certificate. */
async function verifySns(m: Sns, ctx: SchemeContext): Promise<void> {
  const certUrl = snsUrl(m.SigningCertURL, ctx, true).href;
  let pem = certificates.get(certUrl);
  if (!pem) {
    const res = await ctx.fetchText(certUrl);
    if (res.status !== 200) throw new ReceiptRefused(`signing certificate not available (HTTP ${res.status})`, 403);
    pem = res.text;
    new X509Certificate(pem); // throws on something that is not a certificate
    if (certificates.size > 100) certificates.clear();
    certificates.set(certUrl, pem);
  }
  const ok = verify(m.SignatureVersion === '1' ? 'sha1' : 'sha256', Buffer.from(stringToSign(m)), new X509Certificate(pem).publicKey, Buffer.from(m.Signature, 'base64'));
  if (!ok) throw new ReceiptRefused('SNS signature does not verify');
}

/** SES's bounce, complaint and delivery notifications through SNS. */
export const sesReceipts: ReceiptScheme = {
  kind: 'ses',
  channel: 'email',
  signature: 'SNS message signature (SignatureVersion 1 or 2) with the validated SigningCertURL; SubscriptionConfirmation handshake',
  async verify(req, ctx) {
    const parsed = SnsMessage.safeParse(parseJson(req.body));
    if (!parsed.success) throw new ReceiptMalformed(`not an SNS message: ${parsed.error.issues[0]?.message ?? ''}`);
    const m = parsed.data;
    await verifySns(m, ctx);
    const topic = ctx.config.snsTopicArn as string | undefined;
    if (topic && m.TopicArn !== topic) throw new ReceiptRefused('another topic', 403);
    if (m.Type === 'SubscriptionConfirmation') {
      if (!m.SubscribeURL) throw new ReceiptMalformed('SubscribeURL is required');
      const res = await ctx.fetchText(snsUrl(m.SubscribeURL, ctx, false).href);
      if (res.status !== 200) throw new Error(`confirming the subscription answered HTTP ${res.status}`);
      return { receipts: [], note: `subscription to ${m.TopicArn} confirmed` };
    }
    if (m.Type === 'UnsubscribeConfirmation') return { receipts: [], note: `unsubscribed from ${m.TopicArn}` };
    let inner: unknown;
    try {
      inner = JSON.parse(m.Message);
    } catch {
      throw new ReceiptMalformed('Message is not JSON');
    }
    const event = SesEvent.safeParse(inner);
    if (!event.success) return { receipts: [], note: 'not an SES event' };
    const e = event.data;
    const type = e.eventType ?? e.notificationType;
    const base = { eventId: m.MessageId, channel: 'email' as const, providerMessageId: e.mail.messageId };
    const receipts: InboundReceipt[] = [];
    if (type === 'Delivery') receipts.push({ ...base, outcome: 'delivered', at: timeOf(e.delivery?.timestamp, ctx.now) });
    else if (type === 'Bounce' && e.bounce) {
      const hard = e.bounce.bounceType === 'Permanent';
      const reason = e.bounce.bouncedRecipients?.[0]?.diagnosticCode ?? [e.bounce.bounceType, e.bounce.bounceSubType].filter(Boolean).join('/');
      receipts.push({ ...base, outcome: 'bounced', bounce: hard ? 'hard' : 'soft', suppress: hard, reason, at: timeOf(e.bounce.timestamp, ctx.now) });
    } else if (type === 'Complaint') {
      receipts.push({ ...base, outcome: 'complained', suppress: true, at: timeOf(e.complaint?.timestamp, ctx.now), ...(e.complaint?.complaintFeedbackType ? { reason: e.complaint.complaintFeedbackType } : {}) });
    } else if (type === 'Reject') {
      receipts.push({ ...base, outcome: 'undelivered', at: ctx.now, ...(e.reject?.reason ? { reason: e.reject.reason } : {}) });
    }
    return { receipts };
  },
};
