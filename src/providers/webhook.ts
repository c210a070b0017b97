/**
 * A generic HTTP provider (listmonk's "postback" messenger): POSTs each message as JSON to a URL, with the
 * delivery as idempotency key. For in-house gateways, and the local sink the tests and the benchmark count with.
 */
import { HttpClient, json } from './http';
import { Limiter, retryAfterMs } from './limits';
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** Options of the webhook provider. */
export interface WebhookOptions {
  url: string;
  /** Per-request timeout (a timed-out message is retryable). */
  timeoutMs?: number;
  /** Sent as `Authorization` when set. */
  authorization?: string;
  /** Requests in flight at once (default 50). */
  concurrency?: number;
}

/**
 * The webhook provider. A 2xx answer (`{ "id": ... }` optional) accepts the message, 429 and 5xx are retryable
 * (Retry-After honoured), any other status is permanent. After an abort no new request starts; those on the
 * wire finish, so their outcome is recorded.
 */
export class WebhookProvider implements Provider {
  readonly name = 'webhook';
  private readonly http: HttpClient;
  private readonly limiter: Limiter;

  constructor(private readonly options: WebhookOptions) {
    const concurrency = options.concurrency ?? 50;
    this.http = new HttpClient({ connections: concurrency, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    this.limiter = new Limiter({ concurrency });
  }

  send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return this.limiter.each(messages, signal, (m) => this.post(m));
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async post(message: OutboundMessage): Promise<SendOutcome> {
    let res;
    try {
      res = await this.http.send(this.options.url, {
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${message.campaignId}/${message.deliveryId}`,
          ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
        },
        body: JSON.stringify(message),
      });
    } catch (err) {
      return { status: 'retryable', error: `webhook: ${(err as Error).message}` };
    }
    if (res.status >= 200 && res.status < 300) {
      const id = json<{ id?: unknown }>(res.text)?.id;
      return { status: 'accepted', providerMessageId: typeof id === 'string' && id ? id : `${message.campaignId}/${message.deliveryId}` };
    }
    const error = `webhook: HTTP ${res.status} ${res.text.slice(0, 200)}`.trim();
    if (res.status === 429 || res.status >= 500) {
      const after = retryAfterMs(res.headers['retry-after']);
      return { status: 'retryable', error, ...(after !== undefined ? { retryAfterMs: after } : {}) };
    }
    return { status: 'permanent', error };
  }
}
