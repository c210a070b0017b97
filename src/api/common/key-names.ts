/** Names the API key behind an action: reports and the brake say "Ops console", not `key_ffdjqck5km`. */
import type { Store } from '../../store/store';

/** The name of the account's API key `keyId`, or null when it is no key of the account (e.g. `temporal`). */
export async function keyName(store: Store, accountId: string, keyId: string | null | undefined): Promise<string | null> {
  if (!keyId) return null;
  const keys = await store.listApiKeys(accountId);
  return keys.find((k) => k.id === keyId)?.name ?? null;
}
