/**
 * Email through Postmark's Email API: one JSON request per message with the server token; the answer's MessageID
 * is what Postmark's webhooks report back.
 */
import { unsubscribeHeaders } from './email-address';
import { HttpProvider, failure, json } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** Postmark settings (secrets apart). */
export interface PostmarkConfig {
  /** API base, `https://api.postmarkapp.com` unless an emulator. */
  baseUrl: string;
  from: string;
  replyTo?: string;
  messageStream?: string;
  /** The basic auth user name of the webhook URL (default `herald`). */
  webhookUsername?: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** Postmark credentials. */
export interface PostmarkSecrets {
  serverToken: string;
  /** The basic auth password of the webhook URL. */
  webhookPassword?: string;
}

/** API error codes that mean the recipient is bad or inactive (https://postmarkapp.com/developer/api/overview#error-codes). */
const BAD_RECIPIENT = new Set([300, 406]);

interface PostmarkAnswer {
  ErrorCode?: number;
  Message?: string;
  MessageID?: string;
}

/** The Postmark provider: 200 with ErrorCode 0 accepted; 429 and 5xx retried; 406 (inactive recipient) suppressed. */
export class PostmarkProvider extends HttpProvider {
  readonly name = 'postmark';
  private readonly url: string;

  constructor(
    private readonly config: PostmarkConfig,
    private readonly secrets: PostmarkSecrets,
  ) {
    super(config, 20);
    this.url = `${config.baseUrl.replace(/\/$/, '')}/email`;
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const headers = Object.entries(unsubscribeHeaders(m.unsubscribeUrl)).map(([Name, Value]) => ({ Name, Value }));
    const res = await this.http.send(this.url, {
      headers: { 'x-postmark-server-token': this.secrets.serverToken, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        From: this.config.from,
        To: m.to,
        Subject: m.subject ?? '',
        TextBody: m.body,
        ...(m.html ? { HtmlBody: m.html } : {}),
        ...(this.config.replyTo ? { ReplyTo: this.config.replyTo } : {}),
        ...(this.config.messageStream ? { MessageStream: this.config.messageStream } : {}),
        ...(headers.length > 0 ? { Headers: headers } : {}),
        Metadata: { herald_delivery: String(m.deliveryId), herald_campaign: m.campaignId },
      }),
    });
    const body = json<PostmarkAnswer>(res.text);
    if (res.status === 200 && body?.ErrorCode === 0 && body.MessageID) return { status: 'accepted', providerMessageId: body.MessageID };
    const error = `postmark: HTTP ${res.status}${body?.ErrorCode !== undefined ? ` ${body.ErrorCode}` : ''} ${body?.Message ?? ''}`.trim();
    return failure(res, error, res.status === 422 && body?.ErrorCode !== undefined && BAD_RECIPIENT.has(body.ErrorCode));
  }
}
