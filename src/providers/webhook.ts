/**
 * A generic HTTP provider (listmonk's "postback" messenger): POSTs each message as JSON to a URL, with the
 * delivery as idempotency key. For in-house gateways, and the local sink the tests and the benchmark count with.
 */
import { HttpProvider, failure, json, type HttpPacing } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** Options of the webhook provider; `concurrency` (requests in flight at once) defaults to 50. */
export interface WebhookOptions extends HttpPacing {
  url: string;
  /** Sent as `Authorization` when set. */
  authorization?: string;
}

/**
 * The webhook provider. A 2xx answer (`{ "id": ... }` optional) accepts the message, 429 and 5xx are retryable
 * (Retry-After honoured), any other status is permanent. After an abort no new request starts; those on the
 * wire finish, so their outcome is recorded.
 */
export class WebhookProvider extends HttpProvider {
  readonly name = 'webhook';
  /** Every request carries the delivery's Idempotency-Key. */
  readonly idempotent = true;

  constructor(private readonly options: WebhookOptions) {
    super(options, 50);
  }

  protected async sendOne(message: OutboundMessage): Promise<SendOutcome> {
    const res = await this.http.send(this.options.url, {
      headers: {
        'content-type': 'application/json',
        'idempotency-key': `${message.campaignId}/${message.deliveryId}`,
        ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
      },
      body: JSON.stringify(message),
    });
    if (res.status >= 200 && res.status < 300) {
      const id = json<{ id?: unknown }>(res.text)?.id;
      return { status: 'accepted', providerMessageId: typeof id === 'string' && id ? id : `${message.campaignId}/${message.deliveryId}` };
    }
    return failure(res, `webhook: HTTP ${res.status} ${res.text.slice(0, 200)}`.trim());
  }
}
