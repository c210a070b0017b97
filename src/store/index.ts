/** Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else the embedded one. */
import type { EmbeddedEngine } from './embedded';
import { migrate } from './migrate';
import { openPostgresClient } from './postgres';
import type { SqlClient } from './sql-client';
import { sqlStore } from './sql-store';
import type { Store } from './store';

export type { Store } from './store';

/**
 * Where the store lives: a PostgreSQL URL, or an embedded data folder (in memory when undefined) and where its
 * PGlite runs (its own thread unless said).
 */
export type StoreLocation = { databaseUrl: string } | { dataDir: string | undefined; engine?: EmbeddedEngine };

/** Opens and migrates the store. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const client = 'databaseUrl' in location ? openPostgresClient(location.databaseUrl) : await openEmbedded(location.dataDir, location.engine);
  try {
    await migrate(client);
  } catch (err) {
    await client.close();
    throw err;
  }
  return sqlStore(client);
}

/** PGlite is loaded only where the embedded store runs: a worker on PostgreSQL does not carry it. */
function openEmbedded(dataDir: string | undefined, engine: EmbeddedEngine | undefined): Promise<SqlClient> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openEmbeddedClient } = require('./embedded') as typeof import('./embedded');
  return openEmbeddedClient(dataDir, engine);
}
