/** The HTTP client providers share: undici with keep-alive connection pools, JSON and form bodies, timeouts. */
import { Agent } from 'undici';
import { guardedConnector, type EgressPolicy } from './egress';
import { Limiter, limitsOf, retryAfterMs, type SharedLimits } from './limits';
import { cleanOutcome, httpError, logProviderAnswer, networkReason } from './outcomes';
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** A response with its body read. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** The most of an answer's body a provider reads (more is an error: no provider answers that much). */
const MAX_ANSWER_BYTES = 1 << 20;

/**
 * A keep-alive client for one provider instance; `connections` caps sockets per origin. With `egress`, every
 * connection obeys it (see egress.ts); without it (operator-configured providers only) it goes anywhere.
 * Redirects are never followed.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(opts: { connections?: number; timeoutMs?: number; egress?: EgressPolicy } = {}) {
    this.agent = new Agent({
      connections: opts.connections ?? 32,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs ?? 15_000,
      bodyTimeout: opts.timeoutMs ?? 15_000,
      maxResponseSize: MAX_ANSWER_BYTES,
      ...(opts.egress ? { connect: guardedConnector(opts.egress) } : {}),
    });
  }

  /** The last URL sent to, parsed (a provider posts to the same one over and over). */
  private target: { url: string; origin: string; path: string } | undefined;

  /**
   * One request; resolves with the answer read whole (at most MAX_ANSWER_BYTES), rejects on a network failure.
   * Straight on the dispatcher: no stream per answer, and the URL parsed once.
   */
  send(url: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string | Buffer }): Promise<HttpResponse> {
    if (this.target?.url !== url) {
      const parsed = new URL(url);
      this.target = { url, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    }
    const { origin, path } = this.target;
    return new Promise((resolve, reject) => {
      let status = 0;
      let headers: HttpResponse['headers'] = {};
      let chunks: Buffer[] = [];
      this.agent.dispatch(
        { origin, path, method: init.method ?? 'POST', headers: init.headers ?? {}, body: init.body ?? null },
        {
          onRequestStart() {},
          onResponseStart(_controller, statusCode, responseHeaders) {
            status = statusCode;
            headers = responseHeaders;
            chunks = [];
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            resolve({ status, headers, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
          },
          onResponseError(_controller, err) {
            reject(err);
          },
        },
      );
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** An `application/x-www-form-urlencoded` body. */
export function form(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params.set(k, v);
  return params.toString();
}

/** Parses JSON, or returns undefined. */
export function json<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Pacing every HTTP provider accepts, and the egress policy of an account-configured one. */
export interface HttpPacing {
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  egress?: EgressPolicy;
  /** The account provider's limits in the store, so `ratePerSecond` and `concurrency` hold across workers. */
  shared?: SharedLimits;
}

/**
 * The base of providers that send one HTTP request per message: a keep-alive client and a limiter sized by
 * the provider's pacing; a request that throws (connection refused, timeout) makes its message retryable.
 */
export abstract class HttpProvider implements Provider {
  abstract readonly name: string;
  protected readonly http: HttpClient;
  private readonly limiter: Limiter;

  constructor(pacing: HttpPacing, defaultConcurrency: number) {
    const concurrency = pacing.concurrency ?? defaultConcurrency;
    this.http = new HttpClient({
      connections: concurrency,
      ...(pacing.timeoutMs ? { timeoutMs: pacing.timeoutMs } : {}),
      ...(pacing.egress ? { egress: pacing.egress } : {}),
    });
    this.limiter = new Limiter(limitsOf(pacing, concurrency));
  }

  send(messages: OutboundMessage[], signal: AbortSignal, startBy?: number): Promise<SendOutcome[]> {
    return this.limiter.each(
      messages,
      signal,
      async (m) => {
        const fallbackId = `${this.name}/${m.deliveryId}`;
        try {
          return cleanOutcome(await this.sendOne(m), fallbackId);
        } catch (err) {
          return cleanOutcome(thrown(this.name, err), fallbackId);
        }
      },
      startBy,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Sends one message; throwing means a network failure (retryable). */
  protected abstract sendOne(message: OutboundMessage): Promise<SendOutcome>;

  /** Runs `task` per item within the limits (for cancel calls). */
  protected within<T>(items: T[], signal: AbortSignal, task: (item: T) => Promise<SendOutcome>): Promise<SendOutcome[]> {
    return this.limiter.each(items, signal, async (item) => {
      try {
        const outcome = await task(item);
        const status = outcome.status !== 'accepted' ? /^\w+: HTTP (\d{3})/.exec(outcome.error)?.[1] : undefined;
        return cleanOutcome(status && outcome.status !== 'accepted' ? { ...outcome, error: httpError(outcome.error, Number(status)) } : outcome, `${this.name}/cancel`);
      } catch (err) {
        return cleanOutcome(thrown(this.name, err), `${this.name}/cancel`);
      }
    });
  }
}

/** A failure that certainly came before the message left (no credentials, no connection): nothing was delivered. */
export class NotSentError extends Error {}

/** Errors of the connect phase: the request was never written. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a thrown request error means the message never left (else it is in doubt: it may have arrived). */
export function neverLeft(err: unknown): boolean {
  const code = (e: unknown) => (e as { code?: string } | undefined)?.code ?? '';
  return err instanceof NotSentError || CONNECT_ERRORS.has(code(err)) || CONNECT_ERRORS.has(code((err as { cause?: unknown }).cause));
}

/**
 * The outcome of a request that threw: a connection Herald refused is permanent (the settings must change);
 * other network failures are retryable, and in doubt unless they came before the request left. The error is
 * classified, never the thrown message.
 */
export function thrown(provider: string, err: unknown): SendOutcome {
  const error = `${provider}: ${networkReason(err)}`;
  if ((err as { code?: unknown })?.code === 'EGRESS_REFUSED') return { status: 'permanent', error };
  return { status: 'retryable', error, ...(neverLeft(err) ? { notTaken: true as const } : {}) };
}

/**
 * The outcome of an HTTP answer that is not a success: 429 and 5xx retryable (Retry-After honoured), else
 * permanent. `detail` is classified (see `httpError`): the answer's body goes only to the log, redacted.
 */
export function failure(res: HttpResponse, detail: string, suppress = false): SendOutcome {
  const error = httpError(detail, res.status);
  logProviderAnswer(error.split(':')[0]!, res.status, res.text);
  if (res.status === 429 || res.status >= 500) {
    const after = retryAfterMs(res.headers['retry-after']);
    return {
      status: 'retryable',
      error,
      notTaken: true,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
      ...(res.status === 429 ? { throttled: true as const } : {}),
    };
  }
  return { status: 'permanent', error, ...(suppress ? { suppress } : {}) };
}
