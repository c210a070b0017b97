/**
 * The campaigns aggregate in SQL: campaigns and their drafts' changes, the status the workflow mirrors here, the
 * brake's hold on a campaign, the planned campaigns of an account, and each campaign's control report.
 */
import type { BrakeState, Campaign, ControlReport } from '../domain/types';
import type { CampaignStatus, NotSentReason } from '../domain/vocabulary';
import { toBrake, type BrakeRow } from './accounts';
import { newId } from './ids';
import { decodeCursor, encodeCursor, one, page } from './rows';
import type { SqlClient } from './sql-client';
import type { CampaignPatch, CampaignStore, NewCampaign, Page } from './store';

/** A campaigns row (the columns the domain type shows). */
interface CampaignRow {
  id: string;
  account_id: string;
  name: string;
  status: CampaignStatus;
  audience_id: string;
  channels: Campaign['channels'];
  scheduled_at: Date | null;
  local_time: string | null;
  throttle: Campaign['throttle'];
  end_at: Date | null;
  exclude_sent_of: string[] | null;
  resend_in_doubt: boolean;
  held_by_brake: boolean;
  deleted_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
}

function toCampaign(r: CampaignRow): Campaign {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    status: r.status,
    audienceId: r.audience_id,
    channels: r.channels,
    scheduledAt: r.scheduled_at ?? null,
    localTime: r.local_time ?? null,
    throttle: r.throttle ?? null,
    endAt: r.end_at ?? null,
    excludeSentOf: r.exclude_sent_of ?? [],
    resendInDoubt: r.resend_in_doubt,
    // A copy excludes its original last: the original is the copy's source.
    copiedFrom: r.exclude_sent_of?.at(-1) ?? null,
    heldByBrake: r.held_by_brake === true,
    deletedAt: r.deleted_at ?? null,
    startedAt: r.started_at ?? null,
    finishedAt: r.finished_at ?? null,
    error: r.error ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The campaigns of accounts, over any SqlClient. */
export class CampaignSql implements CampaignStore {
  constructor(private readonly db: SqlClient) {}

  async createCampaign(accountId: string, input: NewCampaign): Promise<Campaign> {
    const { rows } = await this.db.query<CampaignRow>(
      `INSERT INTO campaigns (id, account_id, name, status, audience_id, channels, local_time, throttle, end_at,
                              exclude_sent_of, resend_in_doubt)
       VALUES ($1, $2, $3, 'Draft', $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
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
        input.resendInDoubt ?? false,
      ],
    );
    return toCampaign(one(rows));
  }

  async getCampaign(accountId: string, id: string): Promise<Campaign | null> {
    const { rows } = await this.db.query<CampaignRow>('SELECT * FROM campaigns WHERE account_id = $1 AND id = $2', [accountId, id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async loadCampaign(id: string): Promise<Campaign | null> {
    const { rows } = await this.db.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1', [id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async listCampaigns(
    accountId: string,
    opts: { status?: CampaignStatus; includeDeleted?: boolean; after?: string; limit: number },
  ): Promise<Page<Campaign>> {
    const params: unknown[] = [accountId, opts.status ?? null, opts.limit, opts.includeDeleted === true];
    let cursorSql = '';
    if (opts.after) {
      const [at, id] = decodeCursor(opts.after, ['timestamp', 'id']);
      params.push(at, id);
      cursorSql = 'AND (created_at, id) < ($5::timestamptz, $6)';
    }
    // The cursor keeps created_at to the microsecond: a JavaScript Date (milliseconds) would skip the campaigns
    // created later in the same millisecond as a page's last one.
    const { rows } = await this.db.query<CampaignRow & { cursor_at: string }>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
       FROM campaigns WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($4 OR deleted_at IS NULL) ${cursorSql}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
    return page(rows, opts.limit, toCampaign, (r) => encodeCursor([r.cursor_at, String(r.id)]));
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
      resend_in_doubt: patch.resendInDoubt,
    };
    const params: unknown[] = [accountId, id, from];
    const sets = ['updated_at = now()'];
    for (const [column, value] of Object.entries(columns)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    const { rows } = await this.db.query<CampaignRow>(
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
    const { rows } = await this.db.query<CampaignRow & { next_planned_at: Date | null }>(
      `SELECT c.*, coalesce(
           (SELECT min(planned_at) FROM deliveries d WHERE d.campaign_id = c.id AND d.state = 'pending'), c.scheduled_at
         ) AS next_planned_at
       FROM campaigns c WHERE c.account_id = $1 AND c.status = ANY($2::text[]) AND c.deleted_at IS NULL
       ORDER BY next_planned_at NULLS LAST, c.id`,
      [accountId, statuses],
    );
    return rows.map((r) => ({ ...toCampaign(r), nextPlannedAt: r.next_planned_at ?? null }));
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

  async holdForBrake(campaignId: string, status: CampaignStatus): Promise<BrakeState> {
    return this.db.transaction(async (tx) => {
      // The account row's lock orders this against setBrake: a release sees this hold, or this sees the release.
      const { rows } = await tx.query<BrakeRow>(
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

  async saveReport(campaignId: string, report: ControlReport): Promise<void> {
    // A completed report is final. One saved later without completedAt is stale: a worker that was cut off and came
    // back may still run the local activities of a workflow task the server has since given to another worker.
    await this.db.query(
      `UPDATE campaigns SET report = $2::jsonb
       WHERE id = $1 AND (report IS NULL OR report->>'completedAt' IS NULL OR $2::jsonb->>'completedAt' IS NOT NULL)`,
      [campaignId, JSON.stringify(report)],
    );
  }

  async getReport(accountId: string, campaignId: string): Promise<ControlReport | null> {
    const { rows } = await this.db.query<{ report: ControlReport | null }>(
      'SELECT report FROM campaigns WHERE account_id = $1 AND id = $2',
      [accountId, campaignId],
    );
    return rows[0]?.report ?? null;
  }
}
