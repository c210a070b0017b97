/**
 * The contacts aggregate in SQL: contacts (imported by id, suppressed per channel), the audiences that select them
 * (a list of members, or filter terms over attributes), and the SQL that selects an audience's contacts for planning.
 */
import { InvalidInputError } from '../domain/errors';
import {
  type Audience,
  type AudienceDefinition,
  type Contact,
  type FilterCondition,
  type FilterTerm,
  isAnyGroup,
} from '../domain/types';
import type { Channel } from '../domain/vocabulary';
import { newId } from './ids';
import { one, page } from './rows';
import type { SqlClient, SqlExecutor } from './sql-client';
import type { ContactStore, Page } from './store';

/** The contact columns of CONTACT_COLUMNS. */
export interface ContactRow {
  id: string;
  email: string | null;
  phone: string | null;
  push_tokens: string[];
  webpush: Contact['webPushSubscriptions'];
  timezone: string | null;
  attributes: Record<string, unknown>;
  suppressed: Channel[];
}

/** Contact columns a claimed delivery carries (what the provider needs to reach the contact). */
export const CONTACT_COLUMNS = 'c.id, c.email, c.phone, c.push_tokens, c.webpush, c.timezone, c.attributes, c.suppressed';

/** A contact row as the domain type. */
export function toContact(r: ContactRow): Contact {
  return {
    id: r.id,
    email: r.email ?? null,
    phone: r.phone ?? null,
    pushTokens: r.push_tokens,
    webPushSubscriptions: r.webpush,
    timezone: r.timezone ?? null,
    attributes: r.attributes,
    suppressed: r.suppressed,
  };
}

/** SQL that is true when the contact row `p` has an address for channel column `ch`. */
export const reachableSql = (ch: string, p: string): string => `(CASE ${ch}
  WHEN 'email' THEN ${p}.email IS NOT NULL
  WHEN 'sms' THEN ${p}.phone IS NOT NULL
  WHEN 'push' THEN jsonb_array_length(${p}.push_tokens) > 0
  ELSE jsonb_array_length(${p}.webpush) > 0 END)`;

/** An audiences row. */
interface AudienceRow {
  id: string;
  name: string;
  type: Audience['type'];
  conditions: FilterTerm[];
  created_at: Date;
}

function toAudience(r: AudienceRow): Audience {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    conditions: r.conditions,
    createdAt: r.created_at,
  };
}

/** An audience by id without an account scope (planning reads the audience of a campaign it already holds). */
export async function loadAudience(db: SqlExecutor, id: string): Promise<Audience> {
  const { rows } = await db.query<AudienceRow>('SELECT * FROM audiences WHERE id = $1', [id]);
  return toAudience(one(rows));
}

/** The contacts and audiences of accounts, over any SqlClient. */
export class ContactSql implements ContactStore {
  constructor(private readonly db: SqlClient) {}

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
    const { rows } = await this.db.query<ContactRow>(`SELECT ${CONTACT_COLUMNS} FROM contacts c WHERE account_id = $1 AND id = $2`, [
      accountId,
      id,
    ]);
    return rows[0] ? toContact(rows[0]) : null;
  }

  async listContacts(accountId: string, opts: { after?: string; limit: number; q?: string }): Promise<Page<Contact>> {
    // A search matches a part of the id, email or phone, case-insensitively (LIKE's wildcards taken literally).
    const like = opts.q ? `%${opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
    const { rows } = await this.db.query<ContactRow & { pk: number }>(
      `SELECT c.pk, ${CONTACT_COLUMNS} FROM contacts c WHERE account_id = $1 AND pk > $2
         AND ($4::text IS NULL OR c.id ILIKE $4 OR c.email ILIKE $4 OR c.phone ILIKE $4)
       ORDER BY pk LIMIT $3`,
      [accountId, Number(opts.after ?? 0), opts.limit, like],
    );
    return page(rows, opts.limit, toContact, (r) => String(r.pk));
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
    const { rows } = await this.db.query<AudienceRow>('SELECT * FROM audiences WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!rows[0]) return null;
    const audience = toAudience(rows[0]);
    const params: unknown[] = [accountId, 0];
    const sql = audienceSql(audience, params);
    const count = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql.from} WHERE ${sql.where}`, params);
    return { ...audience, size: count.rows[0]?.n ?? 0 };
  }

  async listAudiences(accountId: string): Promise<Audience[]> {
    const { rows } = await this.db.query<AudienceRow>('SELECT * FROM audiences WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return rows.map(toAudience);
  }
}

/** FROM and WHERE clauses selecting an audience's contacts with pk > $2 of account $1; appends its parameters. */
export function audienceSql(audience: Audience, params: unknown[]): { from: string; where: string } {
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
