/**
 * Provider pacing shared through the store: each account's provider has one timeline of start slots, `intervalMs`
 * apart, and every worker books its next few slots from it in one statement. Slots are points in time, not tokens,
 * so nothing can pile up into a burst: two workers' slots interleave on one timeline, and a worker that dies loses
 * only the slots it had booked.
 */
import type { Channel } from '../domain/vocabulary';
import type { SqlExecutor } from './sql-client';

/** A block of start slots booked on a provider's timeline, in store-clock milliseconds since the epoch. */
export interface BookedSlots {
  /** The first slot; the others follow `intervalMs` apart. */
  firstAt: number;
  count: number;
  /** The store's clock when it booked them (workers map slots onto their own clock with it). */
  storeNow: number;
}

/**
 * Books `count` slots `intervalMs` apart on the account provider's timeline: from the next free slot, or from now
 * when the timeline is idle (slots in the past are gone, so an idle provider saves up no burst).
 */
export async function bookSlots(db: SqlExecutor, accountId: string, channel: Channel, count: number, intervalMs: number): Promise<BookedSlots> {
  const span = count * intervalMs;
  const { rows } = await db.query<{ first_at: number; store_now: number }>(
    `WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms)
     INSERT INTO provider_pace AS p (account_id, channel, next_at)
       SELECT $1, $2, now_ms + $3::float8 FROM clock
     ON CONFLICT (account_id, channel) DO UPDATE SET next_at = greatest(p.next_at + $3::float8, EXCLUDED.next_at)
     RETURNING p.next_at - $3::float8 AS first_at, (SELECT now_ms FROM clock) AS store_now`,
    [accountId, channel, span],
  );
  const row = rows[0]!;
  return { firstAt: row.first_at, count, storeNow: row.store_now };
}
