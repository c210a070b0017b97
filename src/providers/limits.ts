/**
 * Per-provider pacing: at most `concurrency` calls at once and `ratePerSecond` starts per second. Alone they hold
 * per worker process (a semaphore, a token bucket); with `shared` (the account provider's limits in the store)
 * they hold across every worker: the rate by slots booked on one timeline, the concurrency by leased shares.
 */
import { randomUUID } from 'node:crypto';
import type { BookedSlots, PermitAsk } from '../store/provider-limits';
import { NOT_STARTED, type SendOutcome } from './provider';

/** The account provider's limits in the store, shared by every worker. */
export interface SharedLimits {
  /** Books `count` start slots `intervalMs` apart on the account provider's timeline. */
  slots(count: number, intervalMs: number): Promise<BookedSlots>;
  /** Leases this limiter's share of the account provider's concurrency; returns it. */
  permits(ask: PermitAsk): Promise<number>;
}

/** Limits a provider applies to its own calls. */
export interface Limits {
  concurrency?: number;
  ratePerSecond?: number;
  /** The rate is shared across workers with it; without it the rate holds per worker process. */
  slots?: SharedLimits['slots'];
  /** The concurrency is shared across workers with it (see SharedConcurrency). */
  permits?: SharedLimits['permits'];
}

/**
 * A provider's limits from its settings: its rate and, when set, its concurrency hold for the account across
 * workers with `shared`; `localConcurrency` caps calls in this process (its connection pool).
 */
export function limitsOf(pacing: { ratePerSecond?: number; concurrency?: number; shared?: SharedLimits }, localConcurrency: number): Limits {
  const { shared } = pacing;
  return {
    concurrency: localConcurrency,
    ...(pacing.ratePerSecond ? { ratePerSecond: pacing.ratePerSecond } : {}),
    ...(pacing.ratePerSecond && shared ? { slots: (count: number, intervalMs: number) => shared.slots(count, intervalMs) } : {}),
    ...(pacing.concurrency && shared ? { permits: (ask: PermitAsk) => shared.permits(ask) } : {}),
  };
}

/** The outcome for a message left unsent because its start slot could not be booked (the store failed). */
const NO_SLOT: SendOutcome = { status: 'retryable', error: 'not sent: no start slot (the store did not answer)', notTaken: true };

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
  private readonly pace: SharedPace | undefined;
  private readonly permits: SharedConcurrency | undefined;

  constructor(private readonly limits: Limits = {}) {
    this.capacity = Math.max(1, limits.ratePerSecond ?? 0);
    this.tokens = this.capacity;
    this.pace = limits.slots && limits.ratePerSecond ? new SharedPace(limits.ratePerSecond, limits.slots) : undefined;
    this.permits =
      limits.permits && limits.concurrency
        ? new SharedConcurrency(limits.concurrency, limits.permits, () => ({ inFlight: this.active, wanted: this.active + this.waiting.length }), () => this.grow())
        : undefined;
  }

  /** Calls that may run at once here now: the local limit, and this process's share of the account's. */
  private allowed(): number {
    const local = this.limits.concurrency ?? Number.POSITIVE_INFINITY;
    return this.permits ? Math.min(local, this.permits.granted) : local;
  }

  /** The share grew: waiters take the new room. */
  private grow(): void {
    while (this.waiting.length > 0 && this.active < this.allowed()) {
      this.active++;
      this.waiting.shift()!.wake();
    }
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
          // A free slot and no rate to keep (the common case) take no extra turns of the event loop.
          if (!this.tryAcquire(abort) && !(await this.acquire(abort))) return NOT_STARTED;
          try {
            if (stopped()) return NOT_STARTED;
            if (this.limits.ratePerSecond) {
              let paced: boolean;
              try {
                paced = await this.take(abort, startBy);
              } catch {
                return NO_SLOT;
              }
              if (!paced || stopped()) return NOT_STARTED;
            }
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

  /** Takes a concurrency slot if one is free now (and the batch has not aborted). */
  private tryAcquire(abort: Abort): boolean {
    if (abort.signal.aborted) return false;
    this.permits?.wanted();
    if (this.waiting.length > 0 || this.active >= this.allowed()) return false;
    this.active++;
    return true;
  }

  /**
   * After `tryAcquire` found no slot (in the same turn, so the batch aborted, or every slot is taken or promised to
   * the calls already waiting): waits in line for one; false (and no slot) when `signal` aborts first.
   */
  private async acquire(abort: Abort): Promise<boolean> {
    if (abort.signal.aborted) return false;
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

  /** Hands the slot to the next waiter (who keeps `active` as it is), or frees it (also when the share shrank). */
  private release(): void {
    const next = this.active <= this.allowed() ? this.waiting.shift() : undefined;
    if (next) next.wake();
    else this.active--;
  }

  /** Waits for a rate token (or a shared slot, not one after `startBy`); false when `signal` aborts first. */
  private async take(abort: Abort, startBy: number): Promise<boolean> {
    const rate = this.limits.ratePerSecond;
    if (!rate || rate <= 0) return true;
    if (this.pace) return this.pace.take(abort, startBy);
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

/**
 * How much slower than `ratePerSecond` the shared timeline runs: slots are (1 + PACE_GUARD) / rate seconds apart, so
 * starts from EARLY_MS early to LATE_MS late, plus up to (PACE_GUARD s - EARLY_MS - LATE_MS) = 110 ms of jitter on the
 * way (a busy event loop, the network), still put at most `rate` arrivals in any one second at the provider: a
 * second then spans fewer than `rate` slots. (Measured on a loaded 2-core machine, 5 % was not enough, and 10 % let
 * 201 through in one second of a fresh-clone test run.)
 */
const PACE_GUARD = 0.15;
/** A slot at most this far ahead is started at once, so a worker below the rate does not wait for its slots. */
const EARLY_MS = 20;
/** A slot not started within this of its time is given up: starting it later would crowd the next slots. */
const LATE_MS = 20;
/** A block of slots lasts at most about this long: a worker sending flat out books about ten times a second. */
const BLOCK_MS = 100;

/** Slots of one booked block, on our clock. */
interface Block {
  next: number;
  left: number;
}

/**
 * Start slots booked from the account provider's shared timeline, a block at a time, and spent by this process's
 * calls in order, each at its slot's time. The next block is booked while the last is being spent, so a worker
 * sending flat out does not wait for the store. The store's clock is mapped onto ours with the offset measured on
 * the fastest recent booking (as NTP does), so workers on different hosts keep one timeline.
 */
class SharedPace {
  private readonly intervalMs: number;
  private readonly blockSize: number;
  /** A block spans at least the time in which a slot may be started, so calls coming back within it find slots. */
  private readonly minBlock: number;
  /** Booked blocks in time order (this worker's bookings follow each other on the timeline). */
  private readonly blocks: Block[] = [];
  private booking: Promise<void> | undefined;
  /** Calls waiting for a slot: blocks are sized for them, so a worker that stops sending wastes little. */
  private taking = 0;
  private clock: { offset: number; rtt: number; at: number } | undefined;

  constructor(
    ratePerSecond: number,
    private readonly book: NonNullable<Limits['slots']>,
  ) {
    this.intervalMs = (1000 * (1 + PACE_GUARD)) / ratePerSecond;
    this.blockSize = Math.max(1, Math.floor(BLOCK_MS / this.intervalMs));
    this.minBlock = Math.min(this.blockSize, Math.ceil((EARLY_MS + LATE_MS) / this.intervalMs));
  }

  /**
   * Waits for this call's slot; false when `signal` aborts first or the slot comes after `startBy` (a
   * `performance.now()` time; the slot is lost either way); throws if booking fails.
   */
  async take(abort: Abort, startBy: number): Promise<boolean> {
    this.taking++;
    try {
      for (;;) {
        if (abort.signal.aborted) return false;
        const now = Date.now();
        this.dropLate(now);
        const block = this.blocks[0];
        if (!block) {
          if (!(await Promise.race([this.booked().then(() => true as const), abort.happened]))) return false;
          continue;
        }
        const at = block.next;
        // Past the start-by time: this call gives up, and the slot stays for the next (the batch hands its
        // message over again at once). Taking it would waste it, and a batch handing over again and again would
        // push the account's timeline ever further ahead, so nothing would start in time any more.
        if (at - EARLY_MS - now > startBy - performance.now()) return false;
        block.next += this.intervalMs;
        if (--block.left === 0) this.blocks.shift();
        // The block is spent and more calls want slots: book the next one now, so they need not wait for the store.
        if (this.unspent() === 0 && this.taking > 1) void this.booked().catch(() => {});
        if (at - now > EARLY_MS && !(await sleep(Math.ceil(at - EARLY_MS - now), abort))) return false;
        // A timer that fired late (a busy event loop) must not start the call on a later slot's time.
        if (Date.now() - at <= LATE_MS) return true;
      }
    } finally {
      this.taking--;
    }
  }

  /** Gives up the slots already too late to start. */
  private dropLate(now: number): void {
    for (let block = this.blocks[0]; block; block = this.blocks[0]) {
      const late = now - block.next - LATE_MS;
      if (late <= 0) return;
      const missed = Math.min(block.left, Math.ceil(late / this.intervalMs));
      block.left -= missed;
      block.next += missed * this.intervalMs;
      if (block.left > 0) return;
      this.blocks.shift();
    }
  }

  private unspent(): number {
    return this.blocks.reduce((n, b) => n + b.left, 0);
  }

  /** The booking in flight, or a new one. */
  private booked(): Promise<void> {
    this.booking ??= this.bookBlock().finally(() => (this.booking = undefined));
    return this.booking;
  }

  private async bookBlock(): Promise<void> {
    // Let the calls starting in this same turn queue up first, so the block is no larger than they need.
    await new Promise((resolve) => setImmediate(resolve));
    const count = Math.min(this.blockSize, Math.max(this.minBlock, this.taking));
    const sentAt = Date.now();
    const slots = await this.book(count, this.intervalMs);
    const now = Date.now();
    const rtt = now - sentAt;
    if (!this.clock || rtt <= this.clock.rtt || now - this.clock.at > 60_000) {
      this.clock = { offset: slots.storeNow - (sentAt + now) / 2, rtt, at: now };
    }
    this.blocks.push({ next: slots.firstAt - this.clock.offset, left: slots.count });
  }
}

/** How often a sending worker renews its share of a shared concurrency, and how long a share lasts unrenewed. */
const RENEW_MS = 500;
const LEASE_MS = 3_000;

/**
 * This process's share of the account provider's concurrency, leased in the store and renewed while calls run or
 * wait: the live holders split the limit fairly, a share shrinks only as its calls finish, and a worker that dies
 * gives its share back when the lease runs out. Until the first lease answers nothing starts; if a renewal fails,
 * the share drops to nothing (calls in flight finish) until one succeeds.
 */
class SharedConcurrency {
  granted = 0;
  private readonly holder = randomUUID();
  private running = false;

  constructor(
    private readonly limit: number,
    private readonly lease: NonNullable<Limits['permits']>,
    private readonly demand: () => { inFlight: number; wanted: number },
    private readonly changed: () => void,
  ) {}

  /** A call wants to run: keep the lease renewed while there is demand. */
  wanted(): void {
    if (this.running) return;
    this.running = true;
    void this.renew();
  }

  private async renew(): Promise<void> {
    // Let the calls of this same turn queue up first, so the first lease asks for all of them.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      const { inFlight, wanted } = this.demand();
      // Idle: nothing runs or waits, so the share is given back (it is asked for again with the next call).
      const idle = inFlight === 0 && wanted === 0;
      try {
        this.granted = await this.lease({ holder: this.holder, inFlight, wanted, limit: this.limit, ttlMs: LEASE_MS });
      } catch {
        this.granted = 0;
      }
      this.changed();
      if (idle) {
        const now = this.demand();
        // A call that came while the share was given back is served by this loop, not left waiting.
        if (now.inFlight === 0 && now.wanted === 0) {
          this.running = false;
          return;
        }
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, RENEW_MS).unref());
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
