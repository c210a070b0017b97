/** Per-provider pacing: at most `concurrency` calls at once and `ratePerSecond` starts per second (token bucket). */
import { NOT_STARTED, type SendOutcome } from './provider';

/** Limits a provider applies to its own calls, per worker process. */
export interface Limits {
  concurrency?: number;
  ratePerSecond?: number;
}

/** A batch's abort (or its start-by time passing) as a promise: one listener per batch, however many of its messages wait. */
interface Abort {
  signal: AbortSignal;
  happened: Promise<false>;
}

/** Resolves true after `ms`, or false at once when the batch aborts first. */
async function sleep(ms: number, abort: Abort): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  try {
    return await Promise.race([slept, abort.happened]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs tasks within the limits. */
export class Limiter {
  private active = 0;
  private readonly waiting: { wake: () => void }[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  /** The bucket holds at least one token, so a rate below one per second still sends one every 1/rate s. */
  private readonly capacity: number;

  constructor(private readonly limits: Limits = {}) {
    this.capacity = Math.max(1, limits.ratePerSecond ?? 0);
    this.tokens = this.capacity;
  }

  /**
   * Sends each message with `send`, within the limits; messages not started when `signal` aborts, or by `startBy`
   * (a `performance.now()` time, checked right before each start, so a process frozen meanwhile starts nothing),
   * are NOT_STARTED.
   */
  async each<M>(messages: M[], signal: AbortSignal, send: (m: M) => Promise<SendOutcome>, startBy = Number.POSITIVE_INFINITY): Promise<SendOutcome[]> {
    const stopped = () => signal.aborted || performance.now() > startBy;
    let onAbort = () => {};
    let deadline: NodeJS.Timeout | undefined;
    const abort: Abort = {
      signal,
      // Waits for a slot or a token end at `startBy` too: a message that can no longer start does not hold its
      // batch (and the batch its worker slot) behind other batches of the same provider.
      happened: new Promise<false>((resolve) => {
        onAbort = () => resolve(false);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        if (Number.isFinite(startBy)) deadline = setTimeout(onAbort, Math.max(0, startBy - performance.now()));
      }),
    };
    try {
      return await Promise.all(
        messages.map(async (m) => {
          if (!(await this.acquire(abort))) return NOT_STARTED;
          try {
            if (stopped()) return NOT_STARTED;
            if (!(await this.take(abort)) || stopped()) return NOT_STARTED;
            return await send(m);
          } finally {
            this.release();
          }
        }),
      );
    } finally {
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Takes a concurrency slot; false (and no slot) when `signal` aborts first. */
  private async acquire(abort: Abort): Promise<boolean> {
    if (abort.signal.aborted) return false;
    if (this.active < (this.limits.concurrency ?? Number.POSITIVE_INFINITY)) {
      this.active++;
      return true;
    }
    let waiter = { wake: () => {} };
    const woken = new Promise<true>((resolve) => (waiter = { wake: () => resolve(true) }));
    this.waiting.push(waiter);
    const got = await Promise.race([woken, abort.happened]);
    if (!got) {
      const at = this.waiting.indexOf(waiter);
      // Not yet handed a slot: leave the queue. (If it was handed one in the same tick, give it back.)
      if (at >= 0) this.waiting.splice(at, 1);
      else this.release();
    }
    return got;
  }

  /** Hands the slot to the next waiter (who keeps `active` as it is), or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.wake();
    else this.active--;
  }

  /** Waits for a rate token; false when `signal` aborts first. */
  private async take(abort: Abort): Promise<boolean> {
    const rate = this.limits.ratePerSecond;
    if (!rate || rate <= 0) return true;
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * rate);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return true;
      }
      if (!(await sleep(Math.ceil(((1 - this.tokens) / rate) * 1000), abort))) return false;
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
