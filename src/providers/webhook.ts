/**
 * A generic HTTP provider (listmonk's "postback" messenger): POSTs each message as JSON to a URL, with the
 * delivery as idempotency key. For in-house gateways, and the local sink the tests and the benchmark count with.
 */
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** Options of the webhook provider. */
export interface WebhookOptions {
  url: string;
  /** Per-request timeout (a timed-out message is retryable). */
  timeoutMs?: number;
  /** Sent as `Authorization` when set. */
  authorization?: string;
}

/**
 * The webhook provider. A 2xx answer (`{ "id": ... }` optional) accepts the message, 429 and 5xx are retryable
 * (Retry-After honoured), any other status is permanent. Requests already on the wire are let finish when the
 * batch is aborted, so their outcome is recorded; none is started after the abort.
 */
export class WebhookProvider implements Provider {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookOptions) {}

  async send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    signal.throwIfAborted();
    return Promise.all(messages.map((m) => this.post(m)));
  }

  private async post(message: OutboundMessage): Promise<SendOutcome> {
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${message.campaignId}/${message.deliveryId}`,
          ...(this.options.authorization ? { authorization: this.options.authorization } : {}),
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      return { status: 'retryable', error: `webhook: ${(err as Error).message}` };
    }
    const text = await res.text();
    if (res.ok) {
      const id = parseId(text);
      return { status: 'accepted', providerMessageId: id ?? `${message.campaignId}/${message.deliveryId}` };
    }
    const error = `webhook: HTTP ${res.status} ${text.slice(0, 200)}`.trim();
    if (res.status === 429 || res.status >= 500) {
      const after = Number(res.headers.get('retry-after'));
      return { status: 'retryable', error, ...(after > 0 ? { retryAfterMs: after * 1000 } : {}) };
    }
    return { status: 'permanent', error };
  }
}

function parseId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const id = (parsed as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
