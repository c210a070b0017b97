/** The audit aggregate in SQL: an account's log of who did what to which target, and how it went. */
import { page } from './rows';
import type { SqlClient } from './sql-client';
import type { AuditEntry, AuditStore, Page } from './store';

/** An audit_log row. */
interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  result: AuditEntry['result'];
  detail: Record<string, unknown> | null;
}

function toAuditEntry(r: AuditRow): AuditEntry & { id: number; at: Date } {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target ?? null,
    result: r.result,
    ...(r.detail ? { detail: r.detail } : {}),
  };
}

/** The audit log of accounts, over any SqlClient. */
export class AuditSql implements AuditStore {
  constructor(private readonly db: SqlClient) {}

  async audit(accountId: string, entry: AuditEntry): Promise<void> {
    await this.db.query(
      'INSERT INTO audit_log (account_id, actor, action, target, result, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [accountId, entry.actor, entry.action, entry.target, entry.result, entry.detail ? JSON.stringify(entry.detail) : null],
    );
  }

  async listAudit(accountId: string, opts: { after?: string; limit: number }): Promise<Page<AuditEntry & { id: number; at: Date }>> {
    const { rows } = await this.db.query<AuditRow>('SELECT * FROM audit_log WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3', [
      accountId,
      Number(opts.after ?? 0),
      opts.limit,
    ]);
    return page(rows, opts.limit, toAuditEntry, (r) => String(r.id));
  }
}
