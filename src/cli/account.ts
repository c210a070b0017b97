/**
 * `npm run account -- create "<name>"`: creates an account and prints its API key (shown once). On the embedded
 * store owned by a running `npm start`, it goes through that server's local admin endpoint (see admin.ts).
 */
import { loadConfig, storeLocation, type Config } from '../config';
import { openStore, type Store } from '../store';
import { FolderInUseError } from '../store/folder-lock';
import { createAccountThroughServer, type CreatedAccount } from './admin';

/** Opens the store, or, when a running server owns its folder, creates the account through that server. */
async function createAccount(config: Config, name: string): Promise<CreatedAccount & { via?: string }> {
  let store: Store;
  try {
    store = await openStore(storeLocation(config));
  } catch (err) {
    if (!(err instanceof FolderInUseError)) throw err;
    const created = await createAccountThroughServer(config.HERALD_DATA_DIR, name);
    if (!created) throw err;
    return { ...created, via: `through the running server, pid ${created.pid}` };
  }
  try {
    return await store.createAccount(name);
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command !== 'create' || !name) throw new Error('usage: npm run account -- create "<account name>"');
  const { accountId, apiKey, via } = await createAccount(loadConfig(), name);
  console.log(`account ${accountId}${via ? `   (${via})` : ''}\napi key ${apiKey}   (scope admin; stored hashed: this is the only time it is shown)`);
  console.log("make narrower keys with POST /v1/keys {\"name\", \"scope\": \"read\" | \"control\" | \"admin\"}");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
