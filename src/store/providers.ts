/** The provider settings aggregate in SQL: each account's provider per channel, its config, its sealed secrets. */
import type { Channel } from '../domain/vocabulary';
import { bookSlots, leasePermits, type BookedSlots, type PermitAsk } from './provider-limits';
import { one } from './rows';
import type { SqlClient } from './sql-client';
import type { ProviderStore, StoredProviderSettings } from './store';

/** A provider_settings row. */
interface ProviderSettingsRow {
  channel: Channel;
  kind: string;
  config: Record<string, unknown>;
  secrets: string | null;
  updated_at: Date;
}

function toProviderSettings(r: ProviderSettingsRow): StoredProviderSettings {
  return {
    channel: r.channel,
    kind: r.kind,
    config: r.config,
    sealedSecrets: r.secrets ?? null,
    updatedAt: r.updated_at,
  };
}

/** The provider settings of accounts, over any SqlClient. */
export class ProviderSql implements ProviderStore {
  constructor(private readonly db: SqlClient) {}

  async getProviderSettings(accountId: string, channel: Channel): Promise<StoredProviderSettings | null> {
    const { rows } = await this.db.query<ProviderSettingsRow>('SELECT * FROM provider_settings WHERE account_id = $1 AND channel = $2', [
      accountId,
      channel,
    ]);
    return rows[0] ? toProviderSettings(rows[0]) : null;
  }

  async listProviderSettings(accountId: string): Promise<StoredProviderSettings[]> {
    const { rows } = await this.db.query<ProviderSettingsRow>('SELECT * FROM provider_settings WHERE account_id = $1 ORDER BY channel', [
      accountId,
    ]);
    return rows.map(toProviderSettings);
  }

  async putProviderSettings(
    accountId: string,
    settings: Omit<StoredProviderSettings, 'updatedAt'>,
  ): Promise<StoredProviderSettings> {
    const { rows } = await this.db.query<ProviderSettingsRow>(
      `INSERT INTO provider_settings (account_id, channel, kind, config, secrets) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, channel) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config,
         secrets = EXCLUDED.secrets, updated_at = clock_timestamp()
       RETURNING *`,
      [accountId, settings.channel, settings.kind, JSON.stringify(settings.config), settings.sealedSecrets],
    );
    return toProviderSettings(one(rows));
  }

  async deleteProviderSettings(accountId: string, channel: Channel): Promise<boolean> {
    const { rows } = await this.db.query('DELETE FROM provider_settings WHERE account_id = $1 AND channel = $2 RETURNING 1', [
      accountId,
      channel,
    ]);
    return rows.length > 0;
  }

  bookProviderSlots(accountId: string, channel: Channel, count: number, intervalMs: number): Promise<BookedSlots> {
    return bookSlots(this.db, accountId, channel, count, intervalMs);
  }

  leaseProviderPermits(accountId: string, channel: Channel, ask: PermitAsk): Promise<number> {
    return leasePermits(this.db, accountId, channel, ask);
  }
}
