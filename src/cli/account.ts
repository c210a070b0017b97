/** `npm run account -- create "<name>"`: creates an account and prints its API key (shown once). */
import { loadConfig, storeLocation } from '../config';
import { openStore } from '../store';

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command !== 'create' || !name) throw new Error('usage: npm run account -- create "<account name>"');
  const config = loadConfig();
  const store = await openStore(storeLocation(config));
  try {
    const { accountId, apiKey } = await store.createAccount(name);
    console.log(`account ${accountId}\napi key ${apiKey}   (scope admin; stored hashed: this is the only time it is shown)`);
    console.log("make narrower keys with POST /v1/keys {\"name\", \"scope\": \"read\" | \"control\" | \"admin\"}");
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
