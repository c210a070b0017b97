/** Per-provider pacing: at most `concurrency` calls at once and `ratePerSecond` starts per second (token bucket). */
import { NOT_STARTED, type SendOutcome } from './provider';

/** Limits a provider applies to its own calls, per worker process. */
export interface Limits {
  concurrency?: number;
  ratePerSecond?: number;
}

/** Runs tasks within the limits. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private tokens: number;
  private refilledAt = Date.now();

  constructor(private readonly limits: Limits = {}) {
    this.tokens = limits.ratePerSecond ?? 0;
  }

  /**
   * Sends each message with `send`, within the limits; messages not started when `signal` aborts, or by `startBy`
   * (a `performance.now()` time, checked right before each start, so a process frozen meanwhile starts nothing),
   * are NOT_STARTED.
   */
  async each<M>(messages: M[], signal: AbortSignal, send: (m: M) => Promise<SendOutcome>, startBy = Number.POSITIVE_INFINITY): Promise<SendOutcome[]> {
    const stopped = () => signal.aborted || performance.now() > startBy;
    return Promise.all(
      messages.map(async (m) => {
        await this.acquire();
        try {
          if (stopped()) return NOT_STARTED;
          await this.take();
          if (stopped()) return NOT_STARTED;
          return await send(m);
        } finally {
          this.release();
        }
      }),
    );
  }

  private acquire(): Promise<void> {
    if (this.active < (this.limits.concurrency ?? Number.POSITIVE_INFINITY)) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Waits for a rate token. */
  private async take(): Promise<void> {
    const rate = this.limits.ratePerSecond;
    if (!rate) return;
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / rate) * 1000)));
    }
  }
}

/** Retry-After (seconds or an HTTP date) in milliseconds, if given. */
export function retryAfterMs(header: string | string[] | undefined | null): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
