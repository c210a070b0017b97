/** Rate-limit counters in the store, so every API process counts against the same numbers. */
import type { SqlExecutor } from './sql-client';

/** Counts one hit in `bucket`'s window starting at `windowStart` (a new window starts at 1); returns its hits. */
export async function countHit(db: SqlExecutor, bucket: string, windowStart: Date): Promise<number> {
  const { rows } = await db.query<{ hits: number }>(
    `INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (bucket) DO UPDATE SET
       hits = CASE WHEN rate_limits.window_start = EXCLUDED.window_start THEN rate_limits.hits + 1 ELSE 1 END,
       window_start = EXCLUDED.window_start
     RETURNING hits`,
    [bucket, windowStart],
  );
  // Now and then, forget buckets idle for an hour (client addresses come and go).
  if (Math.random() < 0.001) await db.query(`DELETE FROM rate_limits WHERE window_start < now() - interval '1 hour'`);
  return rows[0]?.hits ?? 1;
}

/** The hits `bucket` has in the window starting at `windowStart` (0 when it has none there). */
export async function hitsIn(db: SqlExecutor, bucket: string, windowStart: Date): Promise<number> {
  const { rows } = await db.query<{ hits: number }>('SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2', [bucket, windowStart]);
  return rows[0]?.hits ?? 0;
}
