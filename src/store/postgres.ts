/** The production store connection: a node-postgres pool on DATABASE_URL. */
import { log } from '../observability/log';
import pg from 'pg';
import { INT8_OID, type Sql, type SqlClient } from './sql-client';

const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text') };

/** node-postgres's form of a statement: a prepared one goes by name (parsed once per connection). */
const config = (sql: Sql, values?: unknown[]): pg.QueryConfig => (typeof sql === 'string' ? { text: sql, values } : { name: sql.name, text: sql.text, values });

/** Opens a pool on `url`. */
export function openPostgresClient(url: string, max = 10): SqlClient {
  const pool = new pg.Pool({ connectionString: url, max, types: types as pg.CustomTypesConfig });
  // An idle connection the server closes (restart, failover) is dropped from the pool; without this listener
  // node-postgres would crash the process. Queries on a broken connection still fail and are retried by Temporal.
  pool.on('error', (err) => log.warn({ err }, 'postgres: idle connection lost'));
  return {
    query: async (sql, params) => {
      const r = await pool.query(config(sql, params));
      return { rows: r.rows as never[] };
    },
    transaction: async (fn) => {
      const conn = await pool.connect();
      // A checked-out connection has no pool listener: a server that ends it mid-transaction (pg_terminate_backend,
      // restart) would emit an unhandled 'error' and crash the process. The pending query fails with the same error,
      // and the broken connection is destroyed on release instead of going back to the pool.
      let lost: Error | undefined;
      const onLost = (err: Error) => (lost = err);
      conn.on('error', onLost);
      try {
        await conn.query('BEGIN');
        const result = await fn({
          query: async (sql, params) => ({ rows: (await conn.query(config(sql, params))).rows as never[] }),
        });
        await conn.query('COMMIT');
        return result;
      } catch (err) {
        if (!lost) await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        conn.off('error', onLost);
        conn.release(lost);
      }
    },
    close: () => pool.end(),
  };
}
