/**
 * What providers report after sent, in SQL: receipts kept once per provider event, matched to their delivery by the
 * provider's message id (now, or by a later pass when the receipt came before Herald recorded the send), each
 * delivery's latest outcome and its events, suppression of the contact on a hard bounce or complaint, the counts,
 * and the unguessable receipt route of each account and provider kind.
 */
import { randomBytes } from 'node:crypto';
import type { Delivery } from '../domain/types';
import {
  CHANNELS,
  EVENT_PREFIX,
  FATE_OUTCOMES,
  type BounceKind,
  type Channel,
  type ReceiptOutcome,
  type SuppressionCause,
} from '../domain/vocabulary';
import type { SqlClient } from './sql-client';
import type { Page } from './store';

/** One event a provider reported about one message, as its receipt scheme parsed it. */
export interface InboundReceipt {
  /** The provider's own id of this event (or one derived from it): a replay carries the same id and counts once. */
  eventId: string;
  channel: Channel;
  /** The id the provider gave the message when it accepted it (what Herald stores on the delivery). */
  providerMessageId: string;
  outcome: ReceiptOutcome;
  bounce?: BounceKind;
  /** The provider's reason, e.g. an SMTP diagnostic or an error code. */
  reason?: string;
  /** Whether the contact is suppressed on the channel (hard bounces, complaints, unsubscribes, dead numbers). */
  suppress?: boolean;
  at: Date;
}

/** What one ingestion did. */
export interface IngestResult {
  /** Receipts new to Herald. */
  received: number;
  /** Receipts already received before (replays), changing nothing. */
  duplicates: number;
  /** New receipts matched to a delivery of the account (older unmatched ones a later pass matched are included). */
  matched: number;
}

/** Receipt counts: deliveries by their latest fate, and how many recipients complained or unsubscribed. */
export interface ReceiptCounts {
  delivered: number;
  undelivered: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
}

/** Receipt counts of a campaign, overall and per channel. */
export interface CampaignReceiptCounts {
  total: ReceiptCounts;
  byChannel: Partial<Record<Channel, ReceiptCounts>>;
}

/** What providers reported about one delivery. */
export interface DeliveryReceipt {
  deliveryId: number;
  /** The latest of delivered, undelivered, bounced (null while only a complaint or unsubscribe came). */
  outcome: (typeof FATE_OUTCOMES)[number] | null;
  bounce: BounceKind | null;
  reason: string | null;
  provider: string | null;
  at: Date | null;
  complainedAt: Date | null;
  unsubscribedAt: Date | null;
}

/** A channel a contact is suppressed on, with why when Herald knows (null: imported so, or the unsubscribe link). */
export interface Suppression {
  channel: Channel;
  cause: SuppressionCause | null;
  provider: string | null;
  reason: string | null;
  at: Date | null;
}

/** Receipt outcomes a deliveries list can be filtered by. */
export type ReceiptFilter = ReceiptOutcome | 'awaiting';

/** Zero receipt counts. */
export function emptyReceiptCounts(): ReceiptCounts {
  return { delivered: 0, undelivered: 0, bounced: 0, complained: 0, unsubscribed: 0 };
}

/** Receipts over the store's connection. */
export interface ReceiptStore {
  /**
   * Keeps new receipts of `provider` for the account (a replayed event id changes nothing) and matches them to
   * the account's deliveries: each match sets the delivery's outcome, appends its event, and suppresses the
   * contact where the receipt says so. Unmatched receipts wait for `matchPending`.
   */
  ingest(accountId: string, provider: string, receipts: InboundReceipt[]): Promise<IngestResult>;
  /** Matches receipts of the account that came before their send was recorded (up to `limit`); returns how many. */
  matchPending(accountId: string, limit?: number): Promise<number>;
  /** Accounts with unmatched receipts young enough to be looked at again (see `matchPending`). */
  accountsWithPending(limit?: number): Promise<string[]>;
  /** Receipt counts of several campaigns (those without receipts get zero counts). */
  countsOf(campaignIds: string[]): Promise<Map<string, CampaignReceiptCounts>>;
  /** What providers reported about these deliveries (those without receipts are absent). */
  ofDeliveries(deliveryIds: number[]): Promise<Map<number, DeliveryReceipt>>;
  /** A campaign's deliveries whose receipts say `filter` (`awaiting`: sent, nothing reported yet), by id cursor. */
  listDeliveries(
    campaignId: string,
    filter: ReceiptFilter,
    opts: { channel?: Channel; after?: string; limit: number },
  ): Promise<Page<Delivery>>;
  /** The token of the account's receipt route for a provider kind, made on first use. */
  endpointToken(accountId: string, kind: string): Promise<string>;
  /** The account a receipt route's token belongs to, or null. */
  accountOfEndpoint(kind: string, token: string): Promise<string | null>;
  /** The channels a contact is suppressed on, with their causes. */
  suppressions(accountId: string, contactId: string): Promise<Suppression[]>;
  /**
   * Binds a provider's one-use signature token to the event it came with (shared by every process on the store):
   * true when the token is new or already bound to this same event (a replay), false when it came with another.
   */
  bindToken(accountId: string, provider: string, token: string, eventId: string, signedAt: Date): Promise<boolean>;
  /** Forgets tokens signed before `before` (their signatures are refused by age); returns how many. */
  expireTokens(before: Date): Promise<number>;
}

/** SQL for the event-name prefix of a channel column. */
const prefixSql = (column: string): string =>
  `(CASE ${column} ${CHANNELS.map((c) => `WHEN '${c}' THEN '${EVENT_PREFIX[c]}'`).join(' ')} END)`;

/** SQL true when a receipt row's outcome is a fate (delivered, undelivered, bounced). */
const isFate = `outcome IN (${FATE_OUTCOMES.map((o) => `'${o}'`).join(', ')})`;

/** SQL true when the incoming fate (EXCLUDED) is at least as recent as the kept one (x). */
const newer = 'EXCLUDED.outcome IS NOT NULL AND (x.outcome_at IS NULL OR EXCLUDED.outcome_at >= x.outcome_at)';

/**
 * What a match does, after `matched` (CTEs ending in `mm`: the receipts of account `$1` just matched, with their
 * delivery's id and campaign, and its contact's pk, id and suppressed channels): each delivery's outcome, one event
 * per receipt, suppression with its cause. One statement, so a batch of receipts costs one round trip; `mm` carries
 * the contact so that nothing here joins a table back (each join was a scan of deliveries or contacts per batch).
 */
const afterMatch = (matched: string, result: string): string => `
  WITH ${matched},
  -- One row per delivery: its latest fate among these receipts, and when a complaint or unsubscribe first came.
  -- The latest fate by one sort (DISTINCT ON), not one ordered array per column and delivery.
  fate AS (
    SELECT DISTINCT ON (delivery_id) delivery_id, outcome, bounce, reason, provider, occurred_at AS outcome_at
    FROM mm WHERE ${isFate} ORDER BY delivery_id, occurred_at DESC, id DESC),
  agg AS (
    SELECT g.*, f.outcome, f.bounce, f.reason, f.provider, f.outcome_at
    FROM (SELECT delivery_id, min(campaign_id) AS campaign_id, min(channel) AS channel,
                 min(occurred_at) FILTER (WHERE outcome = 'complained') AS complained_at,
                 min(occurred_at) FILTER (WHERE outcome = 'unsubscribed') AS unsubscribed_at
          FROM mm GROUP BY delivery_id) g
    LEFT JOIN fate f ON f.delivery_id = g.delivery_id),
  dr AS (
    INSERT INTO delivery_receipts AS x (delivery_id, campaign_id, channel, outcome, bounce, reason, provider, outcome_at,
                                        complained_at, unsubscribed_at)
    SELECT delivery_id, campaign_id, channel, outcome, bounce, reason, provider, outcome_at, complained_at, unsubscribed_at
    FROM agg
    ON CONFLICT (delivery_id) DO UPDATE SET
      outcome = CASE WHEN ${newer} THEN EXCLUDED.outcome ELSE x.outcome END,
      bounce = CASE WHEN ${newer} THEN EXCLUDED.bounce ELSE x.bounce END,
      reason = CASE WHEN ${newer} THEN EXCLUDED.reason ELSE x.reason END,
      provider = CASE WHEN ${newer} THEN EXCLUDED.provider ELSE x.provider END,
      outcome_at = CASE WHEN ${newer} THEN EXCLUDED.outcome_at ELSE x.outcome_at END,
      complained_at = least(x.complained_at, EXCLUDED.complained_at),
      unsubscribed_at = least(x.unsubscribed_at, EXCLUDED.unsubscribed_at)),
  ev AS (
    INSERT INTO events (account_id, type, campaign_id, contact_id, channel, reason, bounce, provider, at)
    SELECT $1, ${prefixSql('mm.channel')} || '.' || mm.outcome, mm.campaign_id, mm.contact_id, mm.channel, mm.reason, mm.bounce,
           mm.provider, mm.occurred_at
    FROM mm),
  sup AS (
    SELECT DISTINCT ON (mm.contact_pk, mm.channel) mm.contact_pk, mm.contact_id, mm.channel, mm.provider, mm.reason,
           mm.occurred_at,
           CASE mm.outcome WHEN 'bounced' THEN 'hard_bounce' WHEN 'complained' THEN 'complaint'
                           WHEN 'unsubscribed' THEN 'unsubscribed' ELSE 'undeliverable' END AS cause
    FROM mm WHERE mm.suppress AND NOT mm.channel = ANY(mm.suppressed)
    ORDER BY mm.contact_pk, mm.channel, mm.occurred_at),
  supc AS (
    UPDATE contacts ct SET suppressed = ct.suppressed || s.channels, updated_at = now()
    FROM (SELECT contact_pk, array_agg(channel) AS channels FROM sup GROUP BY contact_pk) s WHERE ct.pk = s.contact_pk),
  cause AS (
    INSERT INTO suppression_causes (account_id, contact_id, channel, cause, provider, reason, at)
    SELECT $1, contact_id, channel, cause, provider, reason, occurred_at FROM sup
    ON CONFLICT (account_id, contact_id, channel) DO UPDATE SET cause = EXCLUDED.cause, provider = EXCLUDED.provider,
      reason = EXCLUDED.reason, at = EXCLUDED.at)
  ${result}`;

/** The later pass: receipts picked by `picked` (SQL of receipt ids) that now have a delivery of the account. */
const pendingSql = (picked: string): string =>
  afterMatch(
    `m AS (
      SELECT r.id, d.id AS delivery_id, d.campaign_id, d.channel, d.contact_pk, ct.id AS contact_id, ct.suppressed, r.outcome,
             r.bounce, r.reason, r.provider, r.suppress, r.occurred_at
      FROM receipts r
      JOIN deliveries d ON d.provider_message_id = r.provider_message_id AND d.channel = r.channel
      JOIN campaigns c ON c.id = d.campaign_id AND c.account_id = r.account_id
      JOIN contacts ct ON ct.pk = d.contact_pk
      WHERE r.account_id = $1 AND r.delivery_id IS NULL AND r.id IN (${picked})
      FOR UPDATE OF r SKIP LOCKED),
    -- RETURNING from the join rather than joining CTEs (whose row estimates are 1: nested loops over thousands).
    mm AS (
      UPDATE receipts r SET delivery_id = m.delivery_id FROM m WHERE r.id = m.id AND r.delivery_id IS NULL
      RETURNING m.*)`,
    'SELECT count(*)::int AS matched FROM mm',
  );

/**
 * Ingestion: new receipts of account $1 and provider $2 ($3: one JSON array of them, which costs Node far less to
 * write than an array parameter per column; an event id twice in a batch is taken once) are stored already matched to their delivery when Herald knows it (one write per receipt), replays are
 * left out by the unique event id. The delivery and its contact are looked up once per receipt, by index.
 */
const ingestSql = afterMatch(
  `i AS (
    SELECT DISTINCT ON (event_id) * FROM jsonb_to_recordset($3::jsonb)
      AS i(event_id text, channel text, provider_message_id text, outcome text, bounce text, reason text, suppress boolean,
           occurred_at timestamptz)),
  k AS (
    SELECT i.*, $2::text AS provider, d.* FROM i LEFT JOIN LATERAL (
      SELECT d.id AS delivery_id, d.campaign_id, d.contact_pk, ct.id AS contact_id, ct.suppressed
      FROM deliveries d JOIN contacts ct ON ct.pk = d.contact_pk
      WHERE d.provider_message_id = i.provider_message_id AND d.channel = i.channel
        -- The delivery's campaign by its key (a join on the account would read all its campaigns per receipt).
        AND (SELECT c.account_id FROM campaigns c WHERE c.id = d.campaign_id) = $1
      LIMIT 1) d ON true),
  ins AS (
    INSERT INTO receipts (account_id, provider, event_id, channel, provider_message_id, outcome, bounce, reason, suppress,
                          occurred_at, delivery_id)
    SELECT $1, $2, event_id, channel, provider_message_id, outcome, bounce, reason, suppress, occurred_at, delivery_id FROM k
    ON CONFLICT (account_id, provider, event_id) DO NOTHING
    RETURNING id, event_id),
  mm AS (
    SELECT ins.id, k.* FROM ins JOIN k ON k.event_id = ins.event_id WHERE k.delivery_id IS NOT NULL)`,
  'SELECT (SELECT count(*) FROM ins)::int AS received, (SELECT count(*) FROM mm)::int AS matched',
);

/** Unmatched receipts younger than this are looked at again by `matchPending`; older ones are left (unknown messages). */
const PENDING_WINDOW = '3 days';

type Row = Record<string, unknown>;

/** The receipts part of the SQL store. */
export class SqlReceipts implements ReceiptStore {
  constructor(private readonly db: SqlClient) {}

  async ingest(accountId: string, provider: string, receipts: InboundReceipt[]): Promise<IngestResult> {
    if (receipts.length === 0) return { received: 0, duplicates: 0, matched: 0 };
    const batch = receipts.map((r) => ({
      event_id: r.eventId,
      channel: r.channel,
      provider_message_id: r.providerMessageId,
      outcome: r.outcome,
      bounce: r.bounce ?? null,
      reason: r.reason === undefined ? null : r.reason.slice(0, 1000),
      suppress: r.suppress === true,
      occurred_at: r.at,
    }));
    const { rows } = await this.db.query<{ received: number; matched: number }>(ingestSql, [accountId, provider, JSON.stringify(batch)]);
    const { received, matched } = rows[0]!;
    return { received, duplicates: receipts.length - received, matched };
  }

  async matchPending(accountId: string, limit = 5000): Promise<number> {
    const { rows } = await this.db.query<{ matched: number }>(
      pendingSql(`SELECT id FROM receipts WHERE account_id = $1 AND delivery_id IS NULL
                  AND received_at > now() - interval '${PENDING_WINDOW}' ORDER BY id LIMIT $2`),
      [accountId, limit],
    );
    return rows[0]?.matched ?? 0;
  }

  async accountsWithPending(limit = 1000): Promise<string[]> {
    const { rows } = await this.db.query<{ account_id: string }>(
      `SELECT DISTINCT account_id FROM receipts WHERE delivery_id IS NULL AND received_at > now() - interval '${PENDING_WINDOW}'
       LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.account_id);
  }

  async countsOf(campaignIds: string[]): Promise<Map<string, CampaignReceiptCounts>> {
    const result = new Map<string, CampaignReceiptCounts>(
      campaignIds.map((id) => [id, { total: emptyReceiptCounts(), byChannel: {} }]),
    );
    if (campaignIds.length === 0) return result;
    const { rows } = await this.db.query<{ campaign_id: string; channel: Channel } & ReceiptCounts>(
      `SELECT campaign_id, channel,
              count(*) FILTER (WHERE outcome = 'delivered')::int AS delivered,
              count(*) FILTER (WHERE outcome = 'undelivered')::int AS undelivered,
              count(*) FILTER (WHERE outcome = 'bounced')::int AS bounced,
              count(complained_at)::int AS complained,
              count(unsubscribed_at)::int AS unsubscribed
       FROM delivery_receipts WHERE campaign_id = ANY($1::text[]) GROUP BY campaign_id, channel`,
      [campaignIds],
    );
    for (const r of rows) {
      const counts = result.get(r.campaign_id)!;
      const channel: ReceiptCounts = {
        delivered: r.delivered,
        undelivered: r.undelivered,
        bounced: r.bounced,
        complained: r.complained,
        unsubscribed: r.unsubscribed,
      };
      counts.byChannel[r.channel] = channel;
      for (const k of Object.keys(channel) as (keyof ReceiptCounts)[]) counts.total[k] += channel[k];
    }
    return result;
  }

  async ofDeliveries(deliveryIds: number[]): Promise<Map<number, DeliveryReceipt>> {
    if (deliveryIds.length === 0) return new Map();
    const { rows } = await this.db.query<Row>('SELECT * FROM delivery_receipts WHERE delivery_id = ANY($1::bigint[])', [
      deliveryIds,
    ]);
    return new Map(rows.map((r) => [r.delivery_id as number, toDeliveryReceipt(r)]));
  }

  async listDeliveries(
    campaignId: string,
    filter: ReceiptFilter,
    opts: { channel?: Channel; after?: string; limit: number },
  ): Promise<Page<Delivery>> {
    const where: Record<ReceiptFilter, string> = {
      delivered: "x.outcome = 'delivered'",
      undelivered: "x.outcome = 'undelivered'",
      bounced: "x.outcome = 'bounced'",
      complained: 'x.complained_at IS NOT NULL',
      unsubscribed: 'x.unsubscribed_at IS NOT NULL',
      awaiting: "d.state = 'sent' AND x.outcome IS NULL",
    };
    const { rows } = await this.db.query<Row>(
      `SELECT d.id, d.channel, d.state, d.reason, d.error, d.provider_message_id, d.provider_status, d.handed_at, d.updated_at,
              c.id AS contact_id
       FROM deliveries d JOIN contacts c ON c.pk = d.contact_pk LEFT JOIN delivery_receipts x ON x.delivery_id = d.id
       WHERE d.campaign_id = $1 AND d.id > $2 AND ($3::text IS NULL OR d.channel = $3) AND ${where[filter]}
       ORDER BY d.id LIMIT $4`,
      [campaignId, Number(opts.after ?? 0), opts.channel ?? null, opts.limit + 1],
    );
    const items = rows.slice(0, opts.limit).map(
      (r): Delivery => ({
        id: r.id as number,
        contactId: r.contact_id as string,
        channel: r.channel as Channel,
        state: r.state as Delivery['state'],
        reason: (r.reason as Delivery['reason']) ?? null,
        error: (r.error as string | null) ?? null,
        providerMessageId: (r.provider_message_id as string | null) ?? null,
        providerStatus: (r.provider_status as string | null) ?? null,
        handedAt: (r.handed_at as Date | null) ?? null,
        updatedAt: r.updated_at as Date,
      }),
    );
    return { items, next: rows.length > opts.limit ? String(items.at(-1)!.id) : null };
  }

  async endpointToken(accountId: string, kind: string): Promise<string> {
    const { rows } = await this.db.query<{ token: string }>(
      `WITH ins AS (INSERT INTO receipt_endpoints (token, account_id, kind) VALUES ($3, $1, $2)
                    ON CONFLICT (account_id, kind) DO NOTHING RETURNING token)
       SELECT token FROM ins UNION ALL SELECT token FROM receipt_endpoints WHERE account_id = $1 AND kind = $2`,
      [accountId, kind, randomBytes(24).toString('base64url')],
    );
    return rows[0]!.token;
  }

  async accountOfEndpoint(kind: string, token: string): Promise<string | null> {
    const { rows } = await this.db.query<{ account_id: string }>(
      'SELECT account_id FROM receipt_endpoints WHERE token = $1 AND kind = $2',
      [token, kind],
    );
    return rows[0]?.account_id ?? null;
  }

  async suppressions(accountId: string, contactId: string): Promise<Suppression[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT s.channel, sc.cause, sc.provider, sc.reason, sc.at
       FROM contacts c CROSS JOIN LATERAL unnest(c.suppressed) AS s(channel)
       LEFT JOIN suppression_causes sc ON sc.account_id = c.account_id AND sc.contact_id = c.id AND sc.channel = s.channel
       WHERE c.account_id = $1 AND c.id = $2 ORDER BY s.channel`,
      [accountId, contactId],
    );
    return rows.map((r) => ({
      channel: r.channel as Channel,
      cause: (r.cause as SuppressionCause | null) ?? null,
      provider: (r.provider as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
      at: (r.at as Date | null) ?? null,
    }));
  }

  async bindToken(accountId: string, provider: string, token: string, eventId: string, signedAt: Date): Promise<boolean> {
    const bind = () =>
      this.db.query<{ event_id: string }>(
        `WITH ins AS (INSERT INTO receipt_tokens (account_id, provider, token, event_id, signed_at) VALUES ($1, $2, $3, $4, $5)
                      ON CONFLICT (account_id, provider, token) DO NOTHING RETURNING event_id)
         SELECT event_id FROM ins
         UNION ALL SELECT event_id FROM receipt_tokens WHERE account_id = $1 AND provider = $2 AND token = $3`,
        [accountId, provider, token, eventId, signedAt],
      );
    // Empty when another process bound the token after this statement's snapshot: the second look sees its row.
    let { rows } = await bind();
    if (rows.length === 0) ({ rows } = await bind());
    return rows[0]?.event_id === eventId;
  }

  async expireTokens(before: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'WITH gone AS (DELETE FROM receipt_tokens WHERE signed_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone',
      [before],
    );
    return rows[0]!.n;
  }
}

function toDeliveryReceipt(r: Row): DeliveryReceipt {
  return {
    deliveryId: r.delivery_id as number,
    outcome: (r.outcome as DeliveryReceipt['outcome']) ?? null,
    bounce: (r.bounce as BounceKind | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    provider: (r.provider as string | null) ?? null,
    at: (r.outcome_at as Date | null) ?? null,
    complainedAt: (r.complained_at as Date | null) ?? null,
    unsubscribedAt: (r.unsubscribed_at as Date | null) ?? null,
  };
}
