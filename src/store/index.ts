/** Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else the embedded one. */
import { openEmbeddedClient, type EmbeddedEngine } from './embedded';
import { migrate } from './migrate';
import { openPostgresClient } from './postgres';
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
  const client =
    'databaseUrl' in location ? openPostgresClient(location.databaseUrl) : await openEmbeddedClient(location.dataDir, location.engine);
  try {
    await migrate(client);
  } catch (err) {
    await client.close();
    throw err;
  }
  return sqlStore(client);
}
