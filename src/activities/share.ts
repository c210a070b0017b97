/**
 * How one worker's activity slots are shared between accounts. A worker polls for a task only while it has a free
 * slot, so a task can be waiting in the task queue (another account's batch) only while every slot is taken (or
 * was a moment ago: a slot given back is taken again within a task's round trip when something waits). Then
 * a batch that has run its time budget, of an account holding at least its share of the slots (the slots divided
 * by the accounts with work on this worker), gives its slot back after its current chunk: it ends "yielded", its
 * unhanded deliveries pending again, and its workflow schedules the next batch behind what waits. An account under
 * its share never yields, so the slots turn over to whoever waits, and a worker with a free slot is left alone.
 */

/** How long after every slot was taken the worker still counts as full: a freed slot is being filled again. */
export const REFILL_GRACE_MS = 1_000;

/** One activity's hold on a slot. */
export interface SlotHold {
  /** When (a `performance.now()` time) the batch's time budget ends: a chunk at the provider then starts no more. */
  budgetEndsAt: number;
  /** Whether the batch should give its slot back now (it then counts as gone: one yield per freed slot). */
  shouldYield(): boolean;
  /** The activity ended. */
  release(): void;
}

/** The slots of one worker process and the accounts holding them. */
export class SlotShare {
  private readonly held = new Map<string, number>();
  private busy = 0;
  private fullAt = Number.NEGATIVE_INFINITY;

  /** `slots`: the worker's activity slots; `budgetMs`: how long a batch may hold one before it yields when asked. */
  constructor(
    private readonly slots: number,
    private readonly budgetMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Counts an activity of `accountId` in a slot from now until its hold is released. */
  hold(accountId: string): SlotHold {
    const startedAt = this.clock();
    let counted = true;
    let released = false;
    this.busy++;
    if (this.busy >= this.slots) this.fullAt = startedAt;
    this.count(accountId, 1);
    // A batch that yields stops counting for its account at once (so its account's other batches see the share
    // it now holds); its slot stays busy until the activity ends.
    const leave = () => {
      if (counted) this.count(accountId, -1);
      counted = false;
    };
    return {
      budgetEndsAt: startedAt + this.budgetMs,
      shouldYield: () => {
        const now = this.clock();
        if (!counted || now - startedAt < this.budgetMs || !this.full(now)) return false;
        if ((this.held.get(accountId) ?? 0) < this.fairShare()) return false;
        leave();
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        leave();
        if (this.busy >= this.slots) this.fullAt = this.clock();
        this.busy--;
      },
    };
  }

  /** The slots each account with work on this worker may hold while every slot is taken. */
  fairShare(): number {
    return Math.max(1, Math.floor(this.slots / Math.max(1, this.held.size)));
  }

  private full(now: number): boolean {
    return this.busy >= this.slots || now - this.fullAt < REFILL_GRACE_MS;
  }

  private count(accountId: string, by: 1 | -1): void {
    const n = (this.held.get(accountId) ?? 0) + by;
    if (n > 0) this.held.set(accountId, n);
    else this.held.delete(accountId);
  }
}
