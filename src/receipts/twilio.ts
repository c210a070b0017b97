/**
 * Twilio status callbacks for SMS. `X-Twilio-Signature` is base64 HMAC-SHA1, keyed with the auth token, over the
 * full URL Twilio called followed by each POST parameter's name and value, sorted by name.
 */
import { createHmac } from 'node:crypto';
import { ReceiptMalformed, ReceiptRefused, header, sameSecret, type ReceiptScheme } from './scheme';

/** Error codes that mean the number can never receive (unknown, landline, opted out): the contact is suppressed. */
const DEAD_NUMBER = new Set(['21610', '30005', '30006']);

/** Twilio's signature of a form POST to `url`. */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  const data = url + keys.map((k) => k + params.getAll(k).join('')).join('');
  return createHmac('sha1', authToken).update(data).digest('base64');
}

/** Twilio's SMS status callback. */
export const twilioReceipts: ReceiptScheme = {
  kind: 'twilio',
  channel: 'sms',
  signature: 'X-Twilio-Signature: HMAC-SHA1 of URL + sorted POST params, keyed with the auth token',
  async verify(req, ctx) {
    const given = header(req.headers, 'x-twilio-signature');
    if (!given) throw new ReceiptRefused('missing X-Twilio-Signature');
    const params = new URLSearchParams(req.body.toString('utf8'));
    const expected = twilioSignature(ctx.secrets.authToken as string, req.url, params);
    if (!sameSecret(given, expected)) throw new ReceiptRefused('X-Twilio-Signature does not verify');
    if (params.get('AccountSid') !== ctx.config.accountSid) throw new ReceiptRefused('another account SID', 403);
    const sid = params.get('MessageSid') ?? params.get('SmsSid');
    const status = params.get('MessageStatus') ?? params.get('SmsStatus');
    if (!sid || !status) throw new ReceiptMalformed('MessageSid and MessageStatus are required');
    const base = { eventId: `${sid}:${status}`, channel: 'sms' as const, providerMessageId: sid, at: ctx.now };
    if (status === 'delivered') return { receipts: [{ ...base, outcome: 'delivered' }] };
    if (status === 'undelivered' || status === 'failed') {
      const code = params.get('ErrorCode') ?? undefined;
      return {
        receipts: [{ ...base, outcome: 'undelivered', ...(code ? { reason: `${status} ${code}`, suppress: DEAD_NUMBER.has(code) } : { reason: status }) }],
      };
    }
    return { receipts: [] };
  },
};
