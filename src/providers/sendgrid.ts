/**
 * Email through SendGrid's v3 Mail Send API: one JSON request per message with a Bearer API key; the answer's
 * X-Message-Id is the id SendGrid's Event Webhook reports back (as the start of `sg_message_id`).
 */
import { parseSender, unsubscribeHeaders } from './email-address';
import { HttpProvider, failure, json } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** SendGrid settings (secrets apart). */
export interface SendgridConfig {
  /** API base, `https://api.sendgrid.com` unless an emulator (or `https://api.eu.sendgrid.com`). */
  baseUrl: string;
  from: string;
  replyTo?: string;
  /** The Event Webhook's verification key (base64 DER), for signed receipts. */
  eventWebhookPublicKey?: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** SendGrid credentials. */
export interface SendgridSecrets {
  apiKey: string;
}

interface SendgridErrors {
  errors?: { message?: string; field?: string | null }[];
}

/** The SendGrid provider: 202 accepted; 429 and 5xx retried; a refused recipient address failed and suppressed. */
export class SendgridProvider extends HttpProvider {
  readonly name = 'sendgrid';
  private readonly url: string;

  constructor(
    private readonly config: SendgridConfig,
    private readonly secrets: SendgridSecrets,
  ) {
    super(config, 20);
    this.url = `${config.baseUrl.replace(/\/$/, '')}/v3/mail/send`;
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const body = {
      personalizations: [{ to: [{ email: m.to }], custom_args: { herald_delivery: String(m.deliveryId), herald_campaign: m.campaignId } }],
      from: parseSender(this.config.from),
      ...(this.config.replyTo ? { reply_to: { email: this.config.replyTo } } : {}),
      subject: m.subject ?? '',
      content: [{ type: 'text/plain', value: m.body }, ...(m.html ? [{ type: 'text/html', value: m.html }] : [])],
      ...(m.unsubscribeUrl ? { headers: unsubscribeHeaders(m.unsubscribeUrl) } : {}),
    };
    const res = await this.http.send(this.url, {
      headers: { authorization: `Bearer ${this.secrets.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const id = res.headers['x-message-id'];
    if (res.status === 202 && typeof id === 'string' && id) return { status: 'accepted', providerMessageId: id };
    if (res.status === 202) return { status: 'permanent', error: 'sendgrid: accepted without an X-Message-Id' };
    const errors = json<SendgridErrors>(res.text)?.errors ?? [];
    const error = `sendgrid: HTTP ${res.status} ${errors.map((e) => e.message).filter(Boolean).join('; ')}`.trim();
    // A 400 naming the recipient's address: the address itself is refused.
    const badAddress = res.status === 400 && errors.some((e) => /personalizations\.\d+\.to/.test(e.field ?? ''));
    return failure(res, error, badAddress);
  }
}
