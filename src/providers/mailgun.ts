/**
 * Email through Mailgun's Messages API: a form POST per message to the sending domain with basic auth
 * (`api:<key>`); the answer's id (without its angle brackets) is what Mailgun's webhooks report back.
 */
import { mailgunMessageId } from '../receipts/mailgun';
import { unsubscribeHeaders } from './email-address';
import { HttpProvider, failure, form, json } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** Mailgun settings (secrets apart). */
export interface MailgunConfig {
  /** API base, `https://api.mailgun.net` (or `https://api.eu.mailgun.net`) unless an emulator. */
  baseUrl: string;
  domain: string;
  from: string;
  replyTo?: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** Mailgun credentials. */
export interface MailgunSecrets {
  apiKey: string;
  /** The HTTP webhook signing key, for signed receipts. */
  webhookSigningKey?: string;
}

/** The Mailgun provider: 200 accepted; 429 and 5xx retried; a 400 refusing the recipient address suppressed. */
export class MailgunProvider extends HttpProvider {
  readonly name = 'mailgun';
  private readonly url: string;
  private readonly auth: string;

  constructor(
    private readonly config: MailgunConfig,
    secrets: MailgunSecrets,
  ) {
    super(config, 20);
    this.url = `${config.baseUrl.replace(/\/$/, '')}/v3/${encodeURIComponent(config.domain)}/messages`;
    this.auth = `Basic ${Buffer.from(`api:${secrets.apiKey}`).toString('base64')}`;
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const headers = Object.fromEntries(Object.entries(unsubscribeHeaders(m.unsubscribeUrl)).map(([k, v]) => [`h:${k}`, v]));
    const res = await this.http.send(this.url, {
      headers: { authorization: this.auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({
        from: this.config.from,
        to: m.to,
        subject: m.subject ?? '',
        text: m.body,
        html: m.html,
        'h:Reply-To': this.config.replyTo,
        ...headers,
        'v:herald-delivery': String(m.deliveryId),
      }),
    });
    const body = json<{ id?: string; message?: string }>(res.text);
    if (res.status === 200 && body?.id) return { status: 'accepted', providerMessageId: mailgunMessageId(body.id) };
    const error = `mailgun: HTTP ${res.status} ${body?.message ?? ''}`.trim();
    return failure(res, error, res.status === 400 && /'to' parameter is not a valid address/i.test(body?.message ?? ''));
  }
}
