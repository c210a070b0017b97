/** The HTTP client providers share: undici with keep-alive connection pools, JSON and form bodies, timeouts. */
import { Agent, request } from 'undici';
import { Limiter, retryAfterMs } from './limits';
import type { OutboundMessage, Provider, SendOutcome } from './provider';

/** A response with its body read. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A keep-alive client for one provider instance; `connections` caps sockets per origin. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(opts: { connections?: number; timeoutMs?: number } = {}) {
    this.agent = new Agent({
      connections: opts.connections ?? 32,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs ?? 15_000,
      bodyTimeout: opts.timeoutMs ?? 15_000,
    });
  }

  async send(
    url: string,
    init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<HttpResponse> {
    const res = await request(url, {
      dispatcher: this.agent,
      method: init.method ?? 'POST',
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
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

/** Pacing every HTTP provider accepts. */
export interface HttpPacing {
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
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
    this.http = new HttpClient({ connections: concurrency, ...(pacing.timeoutMs ? { timeoutMs: pacing.timeoutMs } : {}) });
    this.limiter = new Limiter({ concurrency, ...(pacing.ratePerSecond ? { ratePerSecond: pacing.ratePerSecond } : {}) });
  }

  send(messages: OutboundMessage[], signal: AbortSignal, startBy?: number): Promise<SendOutcome[]> {
    return this.limiter.each(messages, signal, async (m) => {
      try {
        return await this.sendOne(m);
      } catch (err) {
        return { status: 'retryable', error: `${this.name}: ${(err as Error).message}`, ...(neverLeft(err) ? { notTaken: true as const } : {}) };
      }
    }, startBy);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** Sends one message; throwing means a network failure (retryable). */
  protected abstract sendOne(message: OutboundMessage): Promise<SendOutcome>;

  /** Runs `task` per item within the limits (for cancel calls). */
  protected within<T>(items: T[], signal: AbortSignal, task: (item: T) => Promise<SendOutcome>): Promise<SendOutcome[]> {
    return this.limiter.each(items, signal, task);
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

/** The outcome of an HTTP answer that is not a success: 429 and 5xx retryable (Retry-After honoured), else permanent. */
export function failure(res: HttpResponse, error: string, suppress = false): SendOutcome {
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
