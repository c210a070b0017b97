/** The embedded store: PostgreSQL in WebAssembly (PGlite), in-process, no server to install. */
import { PGlite } from '@electric-sql/pglite';
import { INT8_OID, type SqlClient } from './sql-client';

/** Opens PGlite in `dataDir` (in memory when undefined). One process may own a data folder at a time. */
export async function openEmbeddedClient(dataDir?: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  return {
    query: async (sql, params) => {
      const r = await db.query(sql, params);
      return { rows: r.rows as never[] };
    },
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: async (sql, params) => {
            const r = await tx.query(sql, params);
            return { rows: r.rows as never[] };
          },
        }),
      ),
    close: () => db.close(),
  };
}
