/** The development account `npm start` creates once and whose API key it prints each time. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store';

/** Returns the development API key, creating the account the first time (the key is kept in `dataDir`). */
export async function ensureDevApiKey(store: Store, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'dev-api-key');
  const saved = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (saved && (await store.authenticate(saved))) return saved;
  const { apiKey } = await store.createAccount('Development', saved || undefined);
  writeFileSync(file, `${apiKey}\n`, { mode: 0o600 });
  return apiKey;
}
