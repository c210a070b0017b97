/** The one implementation of Store, in PostgreSQL's SQL, shared by the embedded and PostgreSQL connections. */
import { InvalidInputError } from '../domain/errors';
import type { BounceKind, CampaignStatus, Channel, NotSentReason, Scope } from '../domain/vocabulary';
import {
  type Audience,
  type BrakeState,
  type AudienceDefinition,
  type Campaign,
  type Contact,
  type ControlReport,
  type Delivery,
  type FilterCondition,
  type FilterTerm,
  isAnyGroup,
  type HeraldEvent,
} from '../domain/types';
import { hashApiKey, newId } from './ids';
import { CONTACT_COLUMNS, DeliverySql, prefixSql, tallySql, toContact } from './deliveries';
import { SqlReceipts, type ReceiptStore } from './receipts';
import { bookSlots, leasePermits, type BookedSlots, type PermitAsk } from './provider-limits';
import { countHit, hitsIn } from './rate-limits';
import type { SqlClient } from './sql-client';
import {
  type ApiKeyInfo,
  type AuditEntry,
  type CampaignCounts,
  type CampaignPatch,
  type ChannelTally,
  type ClaimedDelivery,
  type DeliveryResult,
  type Fence,
  type NewCampaign,
  type Page,
  type PlanPageResult,
  type Principal,
  type Store,
  type StoredProviderSettings,
} from './store';

type Row = Record<string, unknown>;

/** SQL that is true when the contact row `p` has an address for channel column `ch`. */
const reachableSql = (ch: string, p: string): string => `(CASE ${ch}
  WHEN 'email' THEN ${p}.email IS NOT NULL
  WHEN 'sms' THEN ${p}.phone IS NOT NULL
  WHEN 'push' THEN jsonb_array_length(${p}.push_tokens) > 0
  ELSE jsonb_array_length(${p}.webpush) > 0 END)`;

const API_KEY_COLUMNS = 'id, name, scope, created_at, revoked_at';

/** An api_keys row as listed (no hash). */
const apiKeyInfo = (r: Row): ApiKeyInfo => ({
  id: r.id as string,
  name: r.name as string,
  scope: r.scope as Scope,
  createdAt: new Date(r.created_at as string),
  revokedAt: r.revoked_at ? new Date(r.revoked_at as string) : null,
});

/** A Store over any SqlClient. */
export class SqlStore implements Store {
  readonly receipts: ReceiptStore;
  private readonly deliveries: DeliverySql;

  constructor(private readonly db: SqlClient) {
    this.receipts = new SqlReceipts(db);
    this.deliveries = new DeliverySql(db);
  }

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
    const { rows } = await this.db.query<Row>(
      `INSERT INTO api_keys (id, account_id, key_hash, name, scope) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${API_KEY_COLUMNS}`,
      [newId('key'), accountId, hashApiKey(key), name, scope],
    );
    return { ...apiKeyInfo(rows[0]!), key };
  }

  async listApiKeys(accountId: string): Promise<ApiKeyInfo[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`,
      [accountId],
    );
    return rows.map(apiKeyInfo);
  }

  async revokeApiKey(accountId: string, id: string, at: Date): Promise<ApiKeyInfo | null> {
    const { rows } = await this.db.query<Row>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE account_id = $1 AND id = $2
       RETURNING ${API_KEY_COLUMNS}`,
      [accountId, id, at],
    );
    return rows[0] ? apiKeyInfo(rows[0]) : null;
  }

  async upsertContacts(accountId: string, contacts: Contact[]): Promise<number> {
    const byId = new Map(contacts.map((c) => [c.id, c]));
    const payload = [...byId.values()].map((c) => ({
      id: c.id,
      email: c.email ?? null,
      phone: c.phone ?? null,
      push_tokens: c.pushTokens,
      webpush: c.webPushSubscriptions,
      timezone: c.timezone ?? null,
      attributes: c.attributes,
      suppressed: c.suppressed,
    }));
    const { rows } = await this.db.query<{ n: number }>(
      `WITH up AS (
        INSERT INTO contacts (account_id, id, email, phone, push_tokens, webpush, timezone, attributes, suppressed)
        SELECT $1, x.id, x.email, x.phone, x.push_tokens, x.webpush, x.timezone, x.attributes,
               ARRAY(SELECT jsonb_array_elements_text(x.suppressed))
        FROM jsonb_to_recordset($2::jsonb) AS x(id text, email text, phone text, push_tokens jsonb,
             webpush jsonb, timezone text, attributes jsonb, suppressed jsonb)
        ON CONFLICT (account_id, id) DO UPDATE SET
          email = EXCLUDED.email, phone = EXCLUDED.phone, push_tokens = EXCLUDED.push_tokens,
          webpush = EXCLUDED.webpush, timezone = EXCLUDED.timezone, attributes = EXCLUDED.attributes,
          suppressed = EXCLUDED.suppressed, updated_at = now()
        RETURNING 1)
      SELECT count(*)::int AS n FROM up`,
      [accountId, JSON.stringify(payload)],
    );
    return rows[0]?.n ?? 0;
  }

  async getContact(accountId: string, id: string): Promise<Contact | null> {
    const { rows } = await this.db.query(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
    ]);
    return rows[0] ? toContact(rows[0]) : null;
  }

  async listContacts(accountId: string, opts: { after?: string; limit: number; q?: string }): Promise<Page<Contact>> {
    // A search matches a part of the id, email or phone, case-insensitively (LIKE's wildcards taken literally).
    const like = opts.q ? `%${opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
    const { rows } = await this.db.query(
      `SELECT c.pk, ${CONTACT_COLUMNS} FROM contacts c WHERE account_id = $1 AND pk > $2
         AND ($4::text IS NULL OR c.id ILIKE $4 OR c.email ILIKE $4 OR c.phone ILIKE $4)
       ORDER BY pk LIMIT $3`,
      [accountId, Number(opts.after ?? 0), opts.limit, like],
    );
    return page(rows, opts.limit, toContact, (r) => String(r.pk));
  }

  async createAudience(accountId: string, name: string, def: AudienceDefinition) {
    const id = newId('aud');
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO audiences (id, account_id, name, type, conditions) VALUES ($1, $2, $3, $4, $5)', [
        id,
        accountId,
        name,
        def.type,
        JSON.stringify(def.type === 'filter' ? def.all : []),
      ]);
      if (def.type === 'list') {
        const missing = await tx.query<{ id: string }>(
          `SELECT x.id FROM unnest($2::text[]) AS x(id)
           WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = $1 AND c.id = x.id) LIMIT 10`,
          [accountId, def.contactIds],
        );
        if (missing.rows.length > 0) {
          const ids = missing.rows.map((r) => r.id).join(', ');
          throw InvalidInputError.field('contactIds', `unknown contacts: ${ids}`);
        }
        await tx.query(
          `INSERT INTO audience_members (audience_id, contact_pk)
           SELECT $2, pk FROM contacts WHERE account_id = $1 AND id = ANY($3::text[]) ON CONFLICT DO NOTHING`,
          [accountId, id, def.contactIds],
        );
      }
    });
    const created = await this.getAudience(accountId, id);
    if (!created) throw new Error(`audience ${id} vanished after insert`);
    return created;
  }

  async getAudience(accountId: string, id: string) {
    const { rows } = await this.db.query('SELECT * FROM audiences WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!rows[0]) return null;
    const audience = toAudience(rows[0]);
    const params: unknown[] = [accountId, 0];
    const sql = audienceSql(audience, params);
    const count = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql.from} WHERE ${sql.where}`, params);
    return { ...audience, size: count.rows[0]?.n ?? 0 };
  }

  async listAudiences(accountId: string): Promise<Audience[]> {
    const { rows } = await this.db.query('SELECT * FROM audiences WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return rows.map(toAudience);
  }

  async createCampaign(accountId: string, input: NewCampaign): Promise<Campaign> {
    const { rows } = await this.db.query(
      `INSERT INTO campaigns (id, account_id, name, status, audience_id, channels, local_time, throttle, end_at,
                              exclude_sent_of)
       VALUES ($1, $2, $3, 'Draft', $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        newId('cmp'),
        accountId,
        input.name,
        input.audienceId,
        JSON.stringify(input.channels),
        input.localTime ?? null,
        input.throttle ? JSON.stringify(input.throttle) : null,
        input.endAt ?? null,
        input.excludeSentOf ?? [],
      ],
    );
    return toCampaign(one(rows));
  }

  async getCampaign(accountId: string, id: string): Promise<Campaign | null> {
    const { rows } = await this.db.query('SELECT * FROM campaigns WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async loadCampaign(id: string): Promise<Campaign | null> {
    const { rows } = await this.db.query('SELECT * FROM campaigns WHERE id = $1', [id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async listCampaigns(accountId: string, opts: { status?: CampaignStatus; includeDeleted?: boolean; after?: string; limit: number }) {
    const params: unknown[] = [accountId, opts.status ?? null, opts.limit, opts.includeDeleted === true];
    let cursorSql = '';
    if (opts.after) {
      const [at, id] = decodeCursor(opts.after, ['timestamp', 'id']);
      params.push(at, id);
      cursorSql = 'AND (created_at, id) < ($5::timestamptz, $6)';
    }
    const { rows } = await this.db.query(
      `SELECT * FROM campaigns WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($4 OR deleted_at IS NULL) ${cursorSql}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
    return page(rows, opts.limit, toCampaign, (r) => encodeCursor([(r.created_at as Date).toISOString(), String(r.id)]));
  }

  async updateCampaign(
    accountId: string,
    id: string,
    from: readonly CampaignStatus[],
    patch: CampaignPatch,
  ): Promise<Campaign | null> {
    const columns: Record<string, unknown> = {
      name: patch.name,
      audience_id: patch.audienceId,
      channels: patch.channels && JSON.stringify(patch.channels),
      status: patch.status,
      scheduled_at: patch.scheduledAt,
      local_time: patch.localTime,
      throttle: patch.throttle === undefined ? undefined : patch.throttle && JSON.stringify(patch.throttle),
      end_at: patch.endAt,
    };
    const params: unknown[] = [accountId, id, from];
    const sets = ['updated_at = now()'];
    for (const [column, value] of Object.entries(columns)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    const { rows } = await this.db.query(
      `UPDATE campaigns SET ${sets.join(', ')} WHERE account_id = $1 AND id = $2 AND status = ANY($3::text[]) RETURNING *`,
      params,
    );
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async campaignIdsWhere(accountId: string, where: { statuses: readonly CampaignStatus[]; heldByBrake?: boolean }): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM campaigns WHERE account_id = $1 AND status = ANY($2::text[]) AND deleted_at IS NULL
         AND ($3::boolean IS NULL OR held_by_brake = $3) ORDER BY created_at, id`,
      [accountId, where.statuses, where.heldByBrake ?? null],
    );
    return rows.map((r) => r.id);
  }

  async listPlanned(accountId: string, statuses: readonly CampaignStatus[]) {
    // Not yet planned (Scheduled): next at the scheduled time.
    const { rows } = await this.db.query(
      `SELECT c.*, coalesce(
           (SELECT min(planned_at) FROM deliveries d WHERE d.campaign_id = c.id AND d.state = 'pending'), c.scheduled_at
         ) AS next_planned_at
       FROM campaigns c WHERE c.account_id = $1 AND c.status = ANY($2::text[]) AND c.deleted_at IS NULL
       ORDER BY next_planned_at NULLS LAST, c.id`,
      [accountId, statuses],
    );
    return rows.map((r) => ({ ...toCampaign(r), nextPlannedAt: (r.next_planned_at as Date | null) ?? null }));
  }

  async recordStatus(
    id: string,
    status: CampaignStatus,
    at: Date,
    extra: { error?: string; deleted?: boolean; unsentReason?: NotSentReason } = {},
  ): Promise<void> {
    await this.db.query(
      `UPDATE campaigns SET status = $2, updated_at = now(), held_by_brake = false,
         unsent_reason = coalesce($6, unsent_reason),
         deleted_at = CASE WHEN $5 THEN coalesce(deleted_at, $3) ELSE deleted_at END,
         started_at = CASE WHEN $2 = 'Sending' THEN coalesce(started_at, $3) ELSE started_at END,
         finished_at = CASE WHEN $2 IN ('Finished', 'Stopped', 'Cancelled', 'Error') THEN $3 ELSE finished_at END,
         error = coalesce($4, error),
         scheduled_at = CASE WHEN $2 = 'Draft' THEN NULL ELSE scheduled_at END
       WHERE id = $1`,
      [id, status, at, extra.error ?? null, extra.deleted === true, extra.unsentReason ?? null],
    );
  }

  async getBrake(accountId: string): Promise<BrakeState> {
    const { rows } = await this.db.query('SELECT brake_on, brake_since, brake_by FROM accounts WHERE id = $1', [accountId]);
    return toBrake(one(rows));
  }

  async setBrake(accountId: string, on: boolean, by: string, at: Date): Promise<BrakeState> {
    const { rows } = await this.db.query(
      `UPDATE accounts SET brake_on = $2,
         brake_since = CASE WHEN brake_on = $2 THEN brake_since ELSE $4 END,
         brake_by = CASE WHEN brake_on = $2 THEN brake_by ELSE $3 END
       WHERE id = $1 RETURNING brake_on, brake_since, brake_by`,
      [accountId, on, by, at],
    );
    return toBrake(one(rows));
  }

  async holdForBrake(campaignId: string, status: CampaignStatus): Promise<BrakeState> {
    return this.db.transaction(async (tx) => {
      // The account row's lock orders this against setBrake: a release sees this hold, or this sees the release.
      const { rows } = await tx.query(
        `SELECT a.brake_on, a.brake_since, a.brake_by FROM accounts a JOIN campaigns c ON c.account_id = a.id
         WHERE c.id = $1 FOR SHARE OF a`,
        [campaignId],
      );
      const brake = toBrake(one(rows));
      if (brake.on) {
        await tx.query('UPDATE campaigns SET status = $2, held_by_brake = true, updated_at = now() WHERE id = $1', [campaignId, status]);
      }
      return brake;
    });
  }

  async countDeliveries(campaignId: string): Promise<CampaignCounts> {
    return (await this.countDeliveriesOf([campaignId])).get(campaignId)!;
  }

  async countDeliveriesOf(campaignIds: string[]): Promise<Map<string, CampaignCounts>> {
    return this.deliveries.countDeliveriesOf(campaignIds);
  }

  recentlyDone(campaignIds: string[]): Promise<Map<string, number>> {
    return this.deliveries.recentlyDone(campaignIds);
  }

  async planPage(campaign: Campaign, cursor: number, limit: number, startAt: Date): Promise<PlanPageResult> {
    const audience = await this.getAudienceRow(campaign.audienceId);
    const params: unknown[] = [
      campaign.accountId,
      cursor,
      limit,
      campaign.id,
      campaign.channels.map((c) => c.channel),
      startAt,
      campaign.localTime,
      campaign.excludeSentOf,
    ];
    const sql = audienceSql(audience, params);
    // A local-time campaign is due at that time of day in the contact's timezone: today's if it is still ahead of
    // the start, else tomorrow's. Contacts sent a campaign this one excludes (copy as draft) are left out.
    const { rows } = await this.db.query<{ contacts: number; last_pk: number | null; planned: number; suppressed: number }>(
      `WITH page AS (
         SELECT c.pk, c.id, c.email, c.phone, c.push_tokens, c.webpush, c.suppressed, coalesce(c.timezone, 'UTC') AS tz
         FROM ${sql.from} WHERE ${sql.where} ORDER BY c.pk LIMIT $3),
       ins AS (
         INSERT INTO deliveries (campaign_id, channel, contact_pk, state, reason, planned_at)
         SELECT $4, ch.channel, p.pk,
                CASE WHEN ch.channel = ANY(p.suppressed) THEN 'notSent' ELSE 'pending' END,
                CASE WHEN ch.channel = ANY(p.suppressed) THEN 'suppressed' END,
                CASE WHEN $7::text IS NULL THEN $6::timestamptz
                     WHEN lt.today >= $6::timestamptz THEN lt.today ELSE lt.tomorrow END
         FROM page p CROSS JOIN unnest($5::text[]) AS ch(channel)
         CROSS JOIN LATERAL (
           SELECT ((($6::timestamptz AT TIME ZONE p.tz)::date + $7::time) AT TIME ZONE p.tz) AS today,
                  ((($6::timestamptz AT TIME ZONE p.tz)::date + 1 + $7::time) AT TIME ZONE p.tz) AS tomorrow) lt
         WHERE ${reachableSql('ch.channel', 'p')}
           AND NOT EXISTS (SELECT 1 FROM deliveries x
                           WHERE x.campaign_id = ANY($8::text[]) AND x.contact_pk = p.pk AND x.state = 'sent')
         ON CONFLICT (campaign_id, channel, contact_pk) DO NOTHING
         RETURNING channel, contact_pk, state),
       ev AS (
         INSERT INTO events (account_id, type, campaign_id, contact_id, channel, reason)
         SELECT $1, ${prefixSql('i.channel')} || '.notSent', $4, p.id, i.channel, 'suppressed'
         FROM ins i JOIN page p ON p.pk = i.contact_pk WHERE i.state = 'notSent'),
       tally AS (${tallySql('$4', 'ins', { planned: 'count(*)', not_sent: "count(*) FILTER (WHERE s.state = 'notSent')" })})
       SELECT (SELECT count(*)::int FROM page) AS contacts, (SELECT max(pk) FROM page) AS last_pk,
              (SELECT count(*)::int FROM ins) AS planned,
              (SELECT count(*)::int FROM ins WHERE state = 'notSent') AS suppressed`,
      params,
    );
    const r = one(rows);
    return {
      nextCursor: r.contacts < limit ? null : r.last_pk,
      contacts: r.contacts,
      planned: r.planned,
      suppressed: r.suppressed,
    };
  }

  async analyzeDeliveries(): Promise<void> {
    await this.db.query('ANALYZE deliveries');
  }

  claimLease(campaignId: string, channel: Channel, batchKey: string, limit: number, now: Date): Promise<ClaimedDelivery[]> {
    return this.deliveries.claimLease(campaignId, channel, batchKey, limit, now);
  }

  handOver(campaignId: string, batchKey: string, deliveryIds: number[]): Promise<boolean> {
    return this.deliveries.handOver(campaignId, batchKey, deliveryIds);
  }

  recordResults(campaign: Campaign, results: DeliveryResult[], lease?: { batchKey: string; handed: number[] }): Promise<void> {
    return this.deliveries.recordResults(campaign, results, lease);
  }

  releaseLease(campaignId: string, batchKey: string): Promise<void> {
    return this.deliveries.releaseLease(campaignId, batchKey);
  }

  settleLeases(campaignId: string, batchKey?: string): Promise<ChannelTally> {
    return this.deliveries.settleLeases(campaignId, batchKey);
  }

  fence(campaignId: string, fence: Fence | null): Promise<void> {
    return this.deliveries.fence(campaignId, fence);
  }

  retryInDoubt(campaignId: string, channels: Channel[]): Promise<number> {
    return this.deliveries.retryInDoubt(campaignId, channels);
  }

  nextPlannedAt(campaignId: string): Promise<Date | null> {
    return this.deliveries.nextPlannedAt(campaignId);
  }

  markUnsent(campaign: Campaign, reason: NotSentReason, limit: number, plannedBefore?: Date): Promise<ChannelTally> {
    return this.deliveries.markUnsent(campaign, reason, limit, plannedBefore);
  }

  listRecallable(campaignId: string, channel: Channel, statuses: readonly string[], since: Date, afterId: number, limit: number) {
    return this.deliveries.listRecallable(campaignId, channel, statuses, since, afterId, limit);
  }

  recordCancelled(campaign: Campaign, deliveryIds: number[]): Promise<void> {
    return this.deliveries.recordCancelled(campaign, deliveryIds);
  }

  async suppressContact(accountId: string, contactId: string, channel: Channel): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE contacts SET suppressed = CASE WHEN $3 = ANY(suppressed) THEN suppressed ELSE array_append(suppressed, $3) END,
         updated_at = now()
       WHERE account_id = $1 AND id = $2 RETURNING 1`,
      [accountId, contactId, channel],
    );
    return rows.length > 0;
  }

  bookProviderSlots(accountId: string, channel: Channel, count: number, intervalMs: number): Promise<BookedSlots> {
    return bookSlots(this.db, accountId, channel, count, intervalMs);
  }

  leaseProviderPermits(accountId: string, channel: Channel, ask: PermitAsk): Promise<number> {
    return leasePermits(this.db, accountId, channel, ask);
  }

  async getProviderSettings(accountId: string, channel: Channel): Promise<StoredProviderSettings | null> {
    const { rows } = await this.db.query('SELECT * FROM provider_settings WHERE account_id = $1 AND channel = $2', [
      accountId,
      channel,
    ]);
    return rows[0] ? toProviderSettings(rows[0]) : null;
  }

  async listProviderSettings(accountId: string): Promise<StoredProviderSettings[]> {
    const { rows } = await this.db.query('SELECT * FROM provider_settings WHERE account_id = $1 ORDER BY channel', [accountId]);
    return rows.map(toProviderSettings);
  }

  async putProviderSettings(
    accountId: string,
    settings: Omit<StoredProviderSettings, 'updatedAt'>,
  ): Promise<StoredProviderSettings> {
    const { rows } = await this.db.query(
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

  async saveReport(campaignId: string, report: ControlReport): Promise<void> {
    await this.db.query('UPDATE campaigns SET report = $2 WHERE id = $1', [campaignId, JSON.stringify(report)]);
  }

  async getReport(accountId: string, campaignId: string): Promise<ControlReport | null> {
    const { rows } = await this.db.query<{ report: ControlReport | null }>(
      'SELECT report FROM campaigns WHERE account_id = $1 AND id = $2',
      [accountId, campaignId],
    );
    return rows[0]?.report ?? null;
  }

  listDeliveries(campaignId: string, opts: { state?: string; channel?: Channel; after?: string; limit: number }): Promise<Page<Delivery>> {
    return this.deliveries.listDeliveries(campaignId, opts);
  }

  async listEvents(accountId: string, opts: { after?: string; limit: number; campaignId?: string; type?: string }) {
    const { rows } = await this.db.query(
      `SELECT * FROM events WHERE account_id = $1 AND id > $2
         AND ($3::text IS NULL OR campaign_id = $3) AND ($4::text IS NULL OR type = $4)
       ORDER BY id LIMIT $5`,
      [accountId, Number(opts.after ?? 0), opts.campaignId ?? null, opts.type ?? null, opts.limit],
    );
    return page(rows, opts.limit, toEvent, (r) => String(r.id));
  }

  async audit(accountId: string, entry: AuditEntry): Promise<void> {
    await this.db.query(
      'INSERT INTO audit_log (account_id, actor, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [accountId, entry.actor, entry.action, entry.target, entry.result, entry.detail ? JSON.stringify(entry.detail) : null],
    );
  }

  async listAudit(accountId: string, opts: { after?: string; limit: number }) {
    const { rows } = await this.db.query('SELECT * FROM audit_log WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3', [
      accountId,
      Number(opts.after ?? 0),
      opts.limit,
    ]);
    return page(
      rows,
      opts.limit,
      (r) => ({
        id: r.id as number,
        at: r.at as Date,
        actor: r.actor as string,
        action: r.action as string,
        target: (r.target as string | null) ?? null,
        result: r.result as AuditEntry['result'],
        ...(r.detail ? { detail: r.detail as Record<string, unknown> } : {}),
      }),
      (r) => String(r.id),
    );
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async getAudienceRow(id: string): Promise<Audience> {
    const { rows } = await this.db.query('SELECT * FROM audiences WHERE id = $1', [id]);
    return toAudience(one(rows));
  }
}

/** FROM and WHERE clauses selecting an audience's contacts with pk > $2 of account $1; appends its parameters. */
function audienceSql(audience: Audience, params: unknown[]): { from: string; where: string } {
  const where = ['c.account_id = $1', 'c.pk > $2'];
  if (audience.type === 'list') {
    params.push(audience.id);
    return {
      from: `contacts c JOIN audience_members m ON m.contact_pk = c.pk AND m.audience_id = $${params.length}`,
      where: where.join(' AND '),
    };
  }
  for (const term of audience.conditions) where.push(termSql(term, params));
  return { from: 'contacts c', where: where.join(' AND ') };
}

/** A filter term as SQL: a condition, or an `any` group as the OR of its conditions (an empty group matches nobody). */
function termSql(term: FilterTerm, params: unknown[]): string {
  if (!isAnyGroup(term)) return conditionSql(term, params);
  if (term.any.length === 0) return 'false';
  return `(${term.any.map((cond) => conditionSql(cond, params)).join(' OR ')})`;
}

const COMPARISONS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** One filter condition as SQL over the contact's attributes (jsonb comparisons: numbers as numbers). */
function conditionSql(cond: FilterCondition, params: unknown[]): string {
  params.push(cond.attribute);
  const key = `$${params.length}`;
  if (cond.op === 'exists') return `c.attributes ? ${key}`;
  params.push(JSON.stringify(cond.value ?? null));
  const value = `$${params.length}::jsonb`;
  switch (cond.op) {
    case 'neq':
      return `(c.attributes -> ${key}) IS DISTINCT FROM ${value}`;
    case 'in':
      return `(c.attributes -> ${key}) IN (SELECT jsonb_array_elements(${value}))`;
    default:
      return `(c.attributes -> ${key}) ${COMPARISONS[cond.op]} ${value}`;
  }
}

function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row, got none');
  return row;
}

function page<T>(rows: Row[], limit: number, map: (r: Row) => T, cursorOf: (r: Row) => string): Page<T> {
  const last = rows[rows.length - 1];
  return { items: rows.map(map), next: rows.length === limit && last ? cursorOf(last) : null };
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** What each part of a cursor is: a timestamp PostgreSQL can compare (years 1970-9999), or an id. */
type CursorPart = 'timestamp' | 'id';

const CURSOR_PART: Record<CursorPart, (s: string) => boolean> = {
  timestamp: (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(s) && Number.isFinite(Date.parse(s)) && s >= '1970',
  id: (s) => s.length >= 1 && s.length <= 200,
};

function decodeCursor(cursor: string, shape: CursorPart[]): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => typeof p === 'string' && CURSOR_PART[shape[i]!](p))) {
      return parts as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw InvalidInputError.field('after', 'not a cursor this API returned');
}

function toProviderSettings(r: Row): StoredProviderSettings {
  return {
    channel: r.channel as Channel,
    kind: r.kind as string,
    config: r.config as Record<string, unknown>,
    sealedSecrets: (r.secrets as string | null) ?? null,
    updatedAt: r.updated_at as Date,
  };
}

function toBrake(r: Row): BrakeState {
  return { on: r.brake_on === true, since: (r.brake_since as Date | null) ?? null, by: (r.brake_by as string | null) ?? null };
}

function toAudience(r: Row): Audience {
  return {
    id: r.id as string,
    name: r.name as string,
    type: r.type as Audience['type'],
    conditions: r.conditions as FilterTerm[],
    createdAt: r.created_at as Date,
  };
}

function toCampaign(r: Row): Campaign {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    name: r.name as string,
    status: r.status as CampaignStatus,
    audienceId: r.audience_id as string,
    channels: r.channels as Campaign['channels'],
    scheduledAt: (r.scheduled_at as Date | null) ?? null,
    localTime: (r.local_time as string | null) ?? null,
    throttle: (r.throttle as Campaign['throttle']) ?? null,
    endAt: (r.end_at as Date | null) ?? null,
    excludeSentOf: (r.exclude_sent_of as string[] | null) ?? [],
    // A copy excludes its original last: the original is the copy's source.
    copiedFrom: (r.exclude_sent_of as string[] | null)?.at(-1) ?? null,
    heldByBrake: r.held_by_brake === true,
    deletedAt: (r.deleted_at as Date | null) ?? null,
    startedAt: (r.started_at as Date | null) ?? null,
    finishedAt: (r.finished_at as Date | null) ?? null,
    error: (r.error as string | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

function toEvent(r: Row): HeraldEvent {
  return {
    id: r.id as number,
    type: r.type as string,
    campaignId: r.campaign_id as string,
    contactId: r.contact_id as string,
    channel: r.channel as Channel,
    reason: (r.reason as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    ...(r.provider ? { provider: r.provider as string } : {}),
    ...(r.bounce ? { bounce: r.bounce as BounceKind } : {}),
    at: r.at as Date,
  };
}
