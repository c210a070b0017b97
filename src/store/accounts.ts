/** The accounts aggregate in SQL: accounts, their API keys (kept hashed), their callers' rate limits, their brake. */
import type { BrakeState } from '../domain/types';
import type { Scope } from '../domain/vocabulary';
import { hashApiKey, newId } from './ids';
import { countHit, hitsIn } from './rate-limits';
import { one } from './rows';
import type { SqlClient } from './sql-client';
import type { AccountStore, ApiKeyInfo, Principal } from './store';

/** An api_keys row as listed: never its hash. */
interface ApiKeyRow {
  id: string;
  name: string;
  scope: Scope;
  created_at: Date;
  revoked_at: Date | null;
}

const API_KEY_COLUMNS = 'id, name, scope, created_at, revoked_at';

/** The brake columns of an accounts row. */
export interface BrakeRow {
  brake_on: boolean;
  brake_since: Date | null;
  brake_by: string | null;
}

const apiKeyInfo = (r: ApiKeyRow): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  scope: r.scope,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
});

/** An account's brake as the domain type. */
export function toBrake(r: BrakeRow): BrakeState {
  return { on: r.brake_on === true, since: r.brake_since ?? null, by: r.brake_by ?? null };
}

/** The accounts and their keys, over any SqlClient. */
export class AccountSql implements AccountStore {
  constructor(private readonly db: SqlClient) {}

  async createAccount(name: string, rawKey = newId('hk', 32)) {
    const accountId = newId('acc');
    const keyId = newId('key');
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, name]);
      // The account's first key has every scope: it is the one that makes the others.
      await tx.query("INSERT INTO api_keys (id, account_id, key_hash, name, scope) VALUES ($1, $2, $3, $4, 'admin')", [
        keyId,
        accountId,
        hashApiKey(rawKey),
        'default',
      ]);
    });
    return { accountId, apiKey: rawKey, keyId };
  }

  async authenticate(rawKey: string): Promise<Principal | null> {
    const { rows } = await this.db.query<{ id: string; account_id: string; scope: Scope }>(
      'SELECT id, account_id, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [hashApiKey(rawKey)],
    );
    const row = rows[0];
    return row ? { accountId: row.account_id, keyId: row.id, scope: row.scope } : null;
  }

  countHit(bucket: string, windowStart: Date): Promise<number> {
    return countHit(this.db, bucket, windowStart);
  }

  hitsIn(bucket: string, windowStart: Date): Promise<number> {
    return hitsIn(this.db, bucket, windowStart);
  }

  async createApiKey(accountId: string, name: string, scope: Scope): Promise<ApiKeyInfo & { key: string }> {
    const key = newId('hk', 32);
    const { rows } = await this.db.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, account_id, key_hash, name, scope) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${API_KEY_COLUMNS}`,
      [newId('key'), accountId, hashApiKey(key), name, scope],
    );
    return { ...apiKeyInfo(rows[0]!), key };
  }

  async listApiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map(apiKeyInfo);
  }

  async revokeApiKey(accountId: string, id: string, at: Date): Promise<ApiKeyInfo | null> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE account_id = $1 AND id = $2
       RETURNING ${API_KEY_COLUMNS}`,
      [accountId, id, at],
    );
    return rows[0] ? apiKeyInfo(rows[0]) : null;
  }

  async getBrake(accountId: string): Promise<BrakeState> {
    const { rows } = await this.db.query<BrakeRow>('SELECT brake_on, brake_since, brake_by FROM accounts WHERE id = $1', [accountId]);
    return toBrake(one(rows));
  }

  async setBrake(accountId: string, on: boolean, by: string, at: Date): Promise<BrakeState> {
    const { rows } = await this.db.query<BrakeRow>(
      `UPDATE accounts SET brake_on = $2,
         brake_since = CASE WHEN brake_on = $2 THEN brake_since ELSE $4 END,
         brake_by = CASE WHEN brake_on = $2 THEN brake_by ELSE $3 END
       WHERE id = $1 RETURNING brake_on, brake_since, brake_by`,
      [accountId, on, by, at],
    );
    return toBrake(one(rows));
  }
}
