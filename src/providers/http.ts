/** The HTTP client providers share: undici with keep-alive connection pools, JSON and form bodies, timeouts. */
import { Agent, request } from 'undici';

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
