/**
 * Provider limits shared through the store, so they hold for an account's provider whatever the number of workers.
 * Rate: each account's provider has one timeline of start slots, `intervalMs` apart, and every worker books its
 * next few slots from it in one statement. Slots are points in time, not tokens, so nothing can pile up into a
 * burst: two workers' slots interleave on one timeline, and a worker that dies loses only the slots it had booked.
 * Concurrency: each worker leases a share, renewed while it sends, that lapses if it dies.
 */
import type { Channel } from '../domain/vocabulary';
import type { SqlClient, SqlExecutor } from './sql-client';

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

/** What a worker asks of an account provider's concurrency: the calls it has in flight, and how many it wants. */
export interface PermitAsk {
  /** A name unique to the asking limiter (process and instance). */
  holder: string;
  inFlight: number;
  wanted: number;
  /** The provider's concurrency for the account as a whole. */
  limit: number;
  /** How long the lease lasts unless renewed: a worker that dies gives its permits back after this. */
  ttlMs: number;
}

/**
 * Leases a share of the account provider's concurrency to `ask.holder` until `ttlMs` from now, and returns it: no
 * more than it wants, its fair part (ceil(limit / live holders)), and what the others do not hold. What it holds
 * against the others is its share or its calls in flight, whichever is more: calls cannot be called back, so a
 * share that shrank frees room only as its calls finish. Asking for nothing with nothing in flight gives the lease
 * back. Holders are counted under a transaction lock, so what they hold never adds up to more than `limit`.
 */
export async function leasePermits(db: Pick<SqlClient, 'transaction'>, accountId: string, channel: Channel, ask: PermitAsk): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`provider_permits/${accountId}/${channel}`]);
    const { rows } = await tx.query<{ now_ms: number; others: number; holders: number }>(
      `WITH gone AS (
         DELETE FROM provider_permits
         WHERE account_id = $1 AND channel = $2 AND (holder = $3 OR expires_at < extract(epoch FROM clock_timestamp()) * 1000)
       )
       SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms,
              coalesce(sum(permits), 0)::int AS others, count(*)::int AS holders
       FROM provider_permits
       WHERE account_id = $1 AND channel = $2 AND holder <> $3 AND expires_at >= extract(epoch FROM clock_timestamp()) * 1000`,
      [accountId, channel, ask.holder],
    );
    const { now_ms: now, others, holders } = rows[0]!;
    if (ask.wanted === 0 && ask.inFlight === 0) return 0;
    const share = Math.min(ask.wanted, Math.ceil(ask.limit / (holders + 1)), Math.max(0, ask.limit - others));
    await tx.query('INSERT INTO provider_permits (account_id, channel, holder, permits, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      accountId,
      channel,
      ask.holder,
      Math.max(share, ask.inFlight),
      now + ask.ttlMs,
    ]);
    return share;
  });
}
