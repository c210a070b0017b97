/**
 * The deliveries aggregate in SQL: planning an audience into deliveries, leases, handovers, outcomes with their
 * events and counts, the stop's fence, and the reads of deliveries, events and counts. See
 * migrations/008_leases_and_tallies.sql for the model.
 */
import { CHANNELS, EVENT_PREFIX, type BounceKind, type Channel, type NotSentReason } from '../domain/vocabulary';
import { emptyCounts, type Campaign, type Delivery, type DeliveryCounts, type HeraldEvent } from '../domain/types';
import { audienceSql, CONTACT_COLUMNS, loadAudience, reachableSql, toContact, type ContactRow } from './contacts';
import { one, page } from './rows';
import { prepared, type SqlClient } from './sql-client';
import {
  foldUnsent,
  RATE_WINDOW_SECONDS,
  type CampaignCounts,
  type ChannelTally,
  type ClaimedDelivery,
  type DeliveryResult,
  type DeliveryStore,
  type Fence,
  type HandedDelivery,
  type Page,
  type PlanPageResult,
} from './store';

/** A deliveries row as listed: the state and reason a reader sees (a stop's answer shows pending as notSent). */
interface DeliveryRow {
  id: number;
  contact_id: string;
  channel: Channel;
  shown_state: Delivery['state'];
  shown_reason: Delivery['reason'];
  error: string | null;
  provider_message_id: string | null;
  provider_status: string | null;
  handed_at: Date | null;
  updated_at: Date;
}

/** An events row. */
interface EventRow {
  id: number;
  type: string;
  campaign_id: string;
  contact_id: string;
  channel: Channel;
  reason: string | null;
  error: string | null;
  provider: string | null;
  bounce: BounceKind | null;
  at: Date;
}

/** SQL for the event-name prefix of a channel column: `CASE ch WHEN 'email' THEN 'message' ... END`. */
export const prefixSql = (column: string): string =>
  `(CASE ${column} ${CHANNELS.map((c) => `WHEN '${c}' THEN '${EVENT_PREFIX[c]}'`).join(' ')} END)`;

/**
 * Over `campaigns c JOIN accounts a`: the campaign is closed to senders, fenced (pause, stop, delete) or its account
 * braked. A handover checks the opposite under a share lock of both rows.
 */
const CLOSED_SQL = '(c.fence IS NOT NULL OR a.brake_on)';

/** The columns of delivery_tallies that count. */
type TallyColumn = 'planned' | 'sent' | 'failed' | 'not_sent' | 'in_doubt';

/**
 * An upsert that adds, per channel of the rows of `source`, the aggregate `deltas` to the campaign's tally row of
 * the current second. One row per channel: `source` must hold every change of the statement.
 */
export function tallySql(campaign: string, source: string, deltas: Partial<Record<TallyColumn, string>>): string {
  const columns = Object.keys(deltas) as TallyColumn[];
  return `INSERT INTO delivery_tallies AS t (campaign_id, channel, second, ${columns.join(', ')})
    SELECT ${campaign}, s.channel, floor(extract(epoch FROM now()))::bigint, ${columns.map((c) => deltas[c]).join(', ')}
    FROM ${source} s GROUP BY s.channel
    ON CONFLICT (campaign_id, channel, second) DO UPDATE SET ${columns.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')}`;
}

// The send path's statements, prepared (see Prepared): each runs once or more per chunk of every batch.

/** Hands a chunk over in its lease, only while the campaign is open (see handOver). */
const HAND_OVER = prepared(
  'herald_hand_over',
  `WITH open AS (
     SELECT 1 FROM campaigns c JOIN accounts a ON a.id = c.account_id
     WHERE c.id = $1 AND NOT ${CLOSED_SQL} FOR SHARE OF c, a)
   UPDATE leases SET handed = handed || $3::bigint[], handed_at = coalesce(handed_at, now())
   WHERE campaign_id = $1 AND batch_key = $2 AND EXISTS (SELECT 1 FROM open) RETURNING 1`,
);

const SET_OUTCOME = `state = r.state, error = r.error, provider_status = r.provider_status, updated_at = now(),
             provider_message_id = coalesce(r.provider_message_id, d.provider_message_id)`;
const OUTCOME_RETURNING = 'd.channel, d.contact_pk, d.state, d.error, r.suppress, r.contact_id';

/**
 * Records a chunk's outcomes with their events, the lease's handover and the tally (see recordResults). A delivery
 * pending moves to its outcome; one recorded inDoubt takes a late answer of its lost call. A failure that says the
 * address is bad suppresses the contact on that channel for later campaigns.
 */
const RECORD_RESULTS = prepared(
  'herald_record_results',
  `WITH r AS (
     SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[])
       AS r(id, state, error, provider_message_id, provider_status, suppress, contact_id)),
   fresh AS (
     UPDATE deliveries d SET ${SET_OUTCOME}, handed_at = CASE WHEN r.state = 'inDoubt' THEN now() END
     FROM r WHERE d.id = r.id AND d.campaign_id = $1 AND d.state = 'pending'
     RETURNING ${OUTCOME_RETURNING}, false AS was_in_doubt),
   late AS (
     UPDATE deliveries d SET ${SET_OUTCOME}
     FROM r WHERE d.id = r.id AND d.campaign_id = $1 AND d.state = 'inDoubt' AND r.state <> 'inDoubt'
     RETURNING ${OUTCOME_RETURNING}, true AS was_in_doubt),
   changed AS (SELECT * FROM fresh UNION ALL SELECT * FROM late),
   sup AS (
     UPDATE contacts c SET suppressed = array_append(c.suppressed, u.channel), updated_at = now()
     FROM changed u WHERE u.suppress AND c.pk = u.contact_pk AND NOT u.channel = ANY(c.suppressed)),
   ev AS (
     INSERT INTO events (account_id, type, campaign_id, contact_id, channel, error)
     SELECT $9, ${prefixSql('u.channel')} || '.' || u.state, $1, u.contact_id, u.channel, u.error
     FROM changed u WHERE u.state <> 'inDoubt'
     -- A push or web push token the provider says is gone: the message is undelivered, and said so.
     UNION ALL
     SELECT $9, ${prefixSql('u.channel')} || '.undelivered', $1, u.contact_id, u.channel, u.error
     FROM changed u WHERE u.state = 'failed' AND u.suppress AND u.channel IN ('push', 'webpush')),
   lease AS (
     UPDATE leases SET handed = ARRAY(SELECT x FROM unnest(handed) x WHERE x <> ALL($11::bigint[])),
            handed_at = CASE WHEN handed <@ $11::bigint[] THEN NULL ELSE handed_at END
     WHERE campaign_id = $1 AND batch_key = $10),
   tally AS (${tallySql('$1', 'changed', {
     sent: `count(*) FILTER (WHERE s.state = 'sent')`,
     failed: `count(*) FILTER (WHERE s.state = 'failed')`,
     in_doubt: `count(*) FILTER (WHERE s.state = 'inDoubt') - count(*) FILTER (WHERE s.was_in_doubt)`,
   })})
   SELECT 1`,
);

/**
 * The notSent(`$2`) events of the rows of `source` (channel, contact_pk), for campaign `$1` of account `$4`. The
 * contact's id is looked up row by row: a join lets the planner scan every contact of a large account.
 */
const UNSENT_EVENTS = (source: string): string => `
  INSERT INTO events (account_id, type, campaign_id, contact_id, channel, reason)
  SELECT $4, ${prefixSql('s.channel')} || '.notSent', $1, (SELECT c.id FROM contacts c WHERE c.pk = s.contact_pk), s.channel, $2
  FROM ${source} s`;

/**
 * The next `$3` events of a campaign whose unhanded deliveries read as notSent by its unsent_reason (see
 * 060_unsent_events.sql): in delivery order after the campaign's cursor, which moves in the same statement (the
 * campaign row's lock orders two attempts of one chunk). The rows and the tallies stay as they are.
 */
const WRITE_UNSENT_EVENTS = `
  WITH cursor AS (SELECT unsent_events_upto AS upto FROM campaigns WHERE id = $1 FOR UPDATE),
  pick AS (
    SELECT d.id, d.channel, d.contact_pk FROM deliveries d
    WHERE d.campaign_id = $1 AND d.id > (SELECT upto FROM cursor) AND d.state = 'pending' AND d.handed_at IS NULL
    ORDER BY d.id LIMIT $3),
  moved AS (UPDATE campaigns SET unsent_events_upto = (SELECT max(id) FROM pick) WHERE id = $1 AND EXISTS (SELECT 1 FROM pick)),
  ev AS (${UNSENT_EVENTS('pick')})
  SELECT channel, count(*)::int AS n FROM pick GROUP BY channel`;

/** Which of the campaigns are closed to senders (see closedOf). */
const CLOSED_OF = prepared(
  'herald_closed_of',
  `SELECT c.id FROM campaigns c JOIN accounts a ON a.id = c.account_id WHERE c.id = ANY($1::text[]) AND ${CLOSED_SQL}`,
);

/** Campaign channels whose claims a store remembers (see claimLease); the oldest is forgotten beyond this. */
const CLAIM_HINTS = 10_000;

/** A claim's place in a channel's order of deliveries: due time, then id. */
interface ClaimPlace {
  plannedAt: Date;
  id: number;
}

/** The deliveries of campaigns and their events, over any SqlClient. */
export class DeliverySql implements DeliveryStore {
  /**
   * Where this store's last claim of each campaign channel ended. Until a vacuum, an outcome leaves its delivery's
   * entry behind in the partial index of pending deliveries, so a claim that scanned from the channel's start would
   * step over every delivery sent so far: at 60 % of a million, 4,300 index pages and 7 ms a claim, growing with the
   * campaign. Claims start after this place instead; only once nothing is due past it do they look from the start,
   * for what came back behind it (a lease given back, a delivery in doubt sent again). A hint, per process: any
   * claim may still look from the start.
   */
  private readonly claimedUpTo = new Map<string, ClaimPlace>();

  constructor(private readonly db: SqlClient) {}

  async planPage(campaign: Campaign, cursor: number, limit: number, startAt: Date): Promise<PlanPageResult> {
    const audience = await loadAudience(this.db, campaign.audienceId);
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

  async analyzeContacts(): Promise<void> {
    await this.db.query('ANALYZE contacts');
  }

  async claimLease(campaignId: string, channel: Channel, batchKey: string, limit: number, now: Date): Promise<ClaimedDelivery[]> {
    const key = `${campaignId}/${channel}`;
    const after = this.claimedUpTo.get(key);
    let rows = await this.claim(campaignId, channel, batchKey, limit, now, after);
    if (rows.length > 0) {
      // All past `after`: the furthest is where the next claim starts.
      const furthest = rows.reduce((a, b) => (+a.planned_at - +b.planned_at || a.delivery_id - b.delivery_id) > 0 ? a : b);
      this.claimedUpTo.delete(key);
      this.claimedUpTo.set(key, { plannedAt: new Date(furthest.planned_at), id: Number(furthest.delivery_id) });
      if (this.claimedUpTo.size > CLAIM_HINTS) this.claimedUpTo.delete(this.claimedUpTo.keys().next().value!);
    } else if (after) {
      // Nothing due past the last claim: what is left, if anything, came back behind it (the place stays).
      rows = await this.claim(campaignId, channel, batchKey, limit, now);
      if (rows.length === 0) this.claimedUpTo.delete(key);
    }
    return rows.map((r) => ({ id: r.delivery_id, channel, contact: toContact(r) }));
  }

  /** One claim (see claimLease): due pending deliveries after `after` in the channel's order, or from its start. */
  private claim(campaignId: string, channel: Channel, batchKey: string, limit: number, now: Date, after?: ClaimPlace) {
    return this.db.transaction(async (tx) => {
      // Claims of one campaign's channel take turns; the deliveries themselves are not written.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${campaignId}/${channel}`]);
      const { rows } = await tx.query<ContactRow & { delivery_id: number; planned_at: Date }>(
        `WITH busy AS (SELECT unnest(ids) AS id FROM leases WHERE campaign_id = $1 AND channel = $2),
         picked AS (
           SELECT d.id, d.contact_pk, d.planned_at FROM deliveries d
           WHERE d.campaign_id = $1 AND d.channel = $2 AND d.state = 'pending' AND d.planned_at <= $5
             ${after ? 'AND (d.planned_at, d.id) > ($6::timestamptz, $7::bigint)' : ''}
             AND d.id NOT IN (SELECT id FROM busy)
           ORDER BY d.planned_at, d.id LIMIT $4),
         lease AS (
           INSERT INTO leases (batch_key, campaign_id, channel, ids)
           SELECT $3, $1, $2, array_agg(id ORDER BY id) FROM picked HAVING count(*) > 0)
         SELECT p.id AS delivery_id, p.planned_at, ${CONTACT_COLUMNS} FROM picked p JOIN contacts c ON c.pk = p.contact_pk ORDER BY p.id`,
        [campaignId, channel, batchKey, limit, now, ...(after ? [after.plannedAt, after.id] : [])],
      );
      return rows;
    });
  }

  async handOver(campaignId: string, batchKey: string, deliveryIds: number[]): Promise<boolean> {
    // The share locks order this against the fence and the brake: either they see this chunk handed, or this
    // sees them and hands nothing.
    const { rows } = await this.db.query(HAND_OVER, [campaignId, batchKey, deliveryIds]);
    return rows.length > 0;
  }

  async recordResults(campaign: Campaign, results: DeliveryResult[], lease?: { batchKey: string; handed: number[] }): Promise<void> {
    if (results.length === 0 && !lease?.handed.length) return;
    await this.db.query(
      RECORD_RESULTS,
      [
        campaign.id,
        results.map((r) => r.id),
        results.map((r) => r.state),
        results.map((r) => (r.state === 'failed' || r.state === 'inDoubt' ? (r.error ?? null) : null)),
        results.map((r) => (r.state === 'sent' ? r.providerMessageId : null)),
        results.map((r) => (r.state === 'sent' ? (r.providerStatus ?? null) : null)),
        results.map((r) => r.state === 'failed' && r.suppress === true),
        results.map((r) => r.contactId),
        campaign.accountId,
        lease?.batchKey ?? null,
        lease?.handed ?? [],
      ],
    );
  }

  async releaseLease(campaignId: string, batchKey: string): Promise<void> {
    await this.db.query('DELETE FROM leases WHERE campaign_id = $1 AND batch_key = $2', [campaignId, batchKey]);
  }

  /**
   * Settles the leases of a campaign (or the one lease `batchKey`): handed chunks become inDoubt; the leases go.
   * For the whole campaign, what was in doubt and sent back to pending (and has not gone since) is in doubt again.
   */
  async settleLeases(campaignId: string, batchKey?: string): Promise<ChannelTally> {
    const { rows } = await this.db.query<{ channel: Channel; n: number }>(
      `WITH gone AS (
         DELETE FROM leases WHERE campaign_id = $1 AND ($2::text IS NULL OR batch_key = $2)
         RETURNING handed, handed_at),
       doubt AS (
         UPDATE deliveries d SET state = 'inDoubt', handed_at = g.handed_at, updated_at = now()
         FROM (SELECT unnest(handed) AS id, handed_at FROM gone) g
         WHERE d.id = g.id AND d.state = 'pending'
         RETURNING d.channel),
       again AS (
         UPDATE deliveries SET state = 'inDoubt', updated_at = now()
         WHERE $2::text IS NULL AND campaign_id = $1 AND state = 'pending' AND handed_at IS NOT NULL
         RETURNING channel),
       changed AS (SELECT channel FROM doubt UNION ALL SELECT channel FROM again),
       tally AS (${tallySql('$1', 'changed', { in_doubt: 'count(*)' })})
       SELECT channel, count(*)::int AS n FROM changed GROUP BY channel`,
      [campaignId, batchKey ?? null],
    );
    return Object.fromEntries(rows.map((r) => [r.channel, r.n]));
  }

  async isQuiet(campaignId: string): Promise<boolean> {
    // A handover holds a share lock on the campaign and account rows, so the fence or brake write commits after it:
    // once this sees either, it sees every chunk handed before it.
    const { rows } = await this.db.query<{ quiet: boolean }>(
      `SELECT ${CLOSED_SQL}
              AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.campaign_id = c.id AND cardinality(l.handed) > 0) AS quiet
       FROM campaigns c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1`,
      [campaignId],
    );
    return rows[0]?.quiet === true;
  }

  async closedOf(campaignIds: string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(CLOSED_OF, [campaignIds]);
    return rows.map((r) => r.id);
  }

  async fence(campaignId: string, fence: Fence | null): Promise<void> {
    await this.db.query('UPDATE campaigns SET fence = $2 WHERE id = $1', [campaignId, fence]);
  }

  async retryInDoubt(campaignId: string, channels: Channel[]): Promise<number> {
    if (channels.length === 0) return 0;
    // Only while the campaign is open (the same share lock as a handover): a fenced or braked one sends nothing.
    const { rows } = await this.db.query<{ n: number }>(
      `WITH open AS (
         SELECT 1 FROM campaigns c JOIN accounts a ON a.id = c.account_id
         WHERE c.id = $1 AND NOT ${CLOSED_SQL} FOR SHARE OF c, a),
       back AS (
         UPDATE deliveries SET state = 'pending', updated_at = now()
         WHERE campaign_id = $1 AND channel = ANY($2::text[]) AND state = 'inDoubt' AND EXISTS (SELECT 1 FROM open)
         RETURNING channel),
       tally AS (${tallySql('$1', 'back', { in_doubt: '-count(*)' })})
       SELECT count(*)::int AS n FROM back`,
      [campaignId, channels],
    );
    return rows[0]?.n ?? 0;
  }

  async nextPlannedAt(campaignId: string): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT min(planned_at) AS at FROM deliveries WHERE campaign_id = $1 AND state = 'pending'`,
      [campaignId],
    );
    return rows[0]?.at ?? null;
  }

  async markUnsent(campaign: Campaign, reason: NotSentReason, limit: number, plannedBefore?: Date): Promise<ChannelTally> {
    const tally = (rows: { channel: Channel; n: number }[]): ChannelTally => Object.fromEntries(rows.map((r) => [r.channel, r.n]));
    // A stopped campaign's pending rows already read as notSent(its unsent reason): only their events are written.
    if (plannedBefore === undefined && (await this.unsentReasonOf(campaign.id)) === reason) {
      return tally((await this.db.query<{ channel: Channel; n: number }>(WRITE_UNSENT_EVENTS, [campaign.id, reason, limit, campaign.accountId])).rows);
    }
    // No batch of the campaign hands anything over now (the workflow marks only then), so no row lock is needed. A
    // pending delivery that was in doubt before (sent again, not gone yet) is left: settling makes it inDoubt again.
    const { rows } = await this.db.query<{ channel: Channel; n: number }>(
      `WITH upd AS (
         UPDATE deliveries d SET state = 'notSent', reason = $2, updated_at = now()
         WHERE d.id = ANY (ARRAY(
             SELECT id FROM deliveries WHERE campaign_id = $1 AND state = 'pending' AND handed_at IS NULL
               AND ($5::timestamptz IS NULL OR planned_at < $5) LIMIT $3))
           AND d.state = 'pending'
         RETURNING d.channel, d.contact_pk),
       ev AS (${UNSENT_EVENTS('upd')}),
       tally AS (${tallySql('$1', 'upd', { not_sent: 'count(*)' })})
       SELECT channel, count(*)::int AS n FROM upd GROUP BY channel`,
      [campaign.id, reason, limit, campaign.accountId, plannedBefore ?? null],
    );
    return tally(rows);
  }

  private async unsentReasonOf(campaignId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ unsent_reason: string | null }>('SELECT unsent_reason FROM campaigns WHERE id = $1', [campaignId]);
    return rows[0]?.unsent_reason ?? null;
  }

  async listRecallable(
    campaignId: string,
    channel: Channel,
    statuses: readonly string[],
    since: Date,
    afterId: number,
    limit: number,
  ): Promise<HandedDelivery[]> {
    const { rows } = await this.db.query<{ id: number; provider_message_id: string; contact_id: string }>(
      `SELECT d.id, d.provider_message_id, c.id AS contact_id FROM deliveries d JOIN contacts c ON c.pk = d.contact_pk
       WHERE d.campaign_id = $1 AND d.channel = $2 AND d.state = 'sent' AND d.provider_message_id IS NOT NULL
         AND d.provider_status = ANY($3::text[]) AND d.updated_at >= $4 AND d.id > $5
         -- A receipt (delivered, undelivered, bounced, ...) says it has left the provider's hands.
         AND NOT EXISTS (SELECT 1 FROM delivery_receipts x WHERE x.delivery_id = d.id AND x.outcome IS NOT NULL)
       ORDER BY d.id LIMIT $6`,
      [campaignId, channel, statuses, since, afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, providerMessageId: r.provider_message_id, contactId: r.contact_id }));
  }

  async recordCancelled(campaign: Campaign, deliveryIds: number[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.db.query(
      `WITH upd AS (
         UPDATE deliveries d SET state = 'notSent', reason = 'provider_cancelled', provider_status = 'canceled', updated_at = now()
         WHERE d.id = ANY($2::bigint[]) AND d.campaign_id = $1 AND d.state = 'sent'
         RETURNING d.channel, d.contact_pk),
       ev AS (
         INSERT INTO events (account_id, type, campaign_id, contact_id, channel, reason)
         SELECT $3, ${prefixSql('upd.channel')} || '.notSent', $1, c.id, upd.channel, 'provider_cancelled'
         FROM upd JOIN contacts c ON c.pk = upd.contact_pk),
       tally AS (${tallySql('$1', 'upd', { sent: '-count(*)', not_sent: 'count(*)' })})
       SELECT 1`,
      [campaign.id, deliveryIds, campaign.accountId],
    );
  }

  async countDeliveries(campaignId: string): Promise<CampaignCounts> {
    return (await this.countDeliveriesOf([campaignId])).get(campaignId)!;
  }

  async countDeliveriesOf(campaignIds: string[]): Promise<Map<string, CampaignCounts>> {
    // After a stop's answer, what is still pending is notSent: its rows are being written, its number is final.
    const { rows } = await this.db.query<{
      campaign_id: string;
      channel: Channel;
      planned: number;
      sent: number;
      failed: number;
      not_sent: number;
      in_doubt: number;
      unsent: boolean;
    }>(
      `SELECT t.campaign_id, t.channel, sum(planned)::int AS planned, sum(sent)::int AS sent, sum(failed)::int AS failed,
              sum(not_sent)::int AS not_sent, sum(in_doubt)::int AS in_doubt, bool_or(c.unsent_reason IS NOT NULL) AS unsent
       FROM delivery_tallies t JOIN campaigns c ON c.id = t.campaign_id
       WHERE t.campaign_id = ANY($1::text[]) GROUP BY t.campaign_id, t.channel`,
      [campaignIds],
    );
    const result = new Map(campaignIds.map((id): [string, CampaignCounts] => [id, { total: emptyCounts(), byChannel: {} }]));
    const unsent = new Set<string>();
    for (const r of rows) {
      const counts = result.get(r.campaign_id)!;
      const c: DeliveryCounts = {
        planned: r.planned,
        pending: r.planned - r.sent - r.failed - r.not_sent - r.in_doubt,
        sent: r.sent,
        notSent: r.not_sent,
        failed: r.failed,
        inDoubt: r.in_doubt,
      };
      counts.byChannel[r.channel] = c;
      for (const k of Object.keys(c) as (keyof DeliveryCounts)[]) counts.total[k] += c[k];
      if (r.unsent) unsent.add(r.campaign_id);
    }
    for (const id of unsent) result.set(id, foldUnsent(result.get(id)!));
    return result;
  }

  async recentlyDone(campaignIds: string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ campaign_id: string; n: number }>(
      `SELECT campaign_id, sum(sent + failed)::int AS n FROM delivery_tallies
       WHERE campaign_id = ANY($1::text[]) AND second >= floor(extract(epoch FROM now()))::bigint - $2
       GROUP BY campaign_id`,
      [campaignIds, RATE_WINDOW_SECONDS],
    );
    return new Map(rows.map((r) => [r.campaign_id, r.n]));
  }

  async listDeliveries(campaignId: string, opts: { state?: string; channel?: Channel; after?: string; limit: number }): Promise<Page<Delivery>> {
    // After a stop's answer a pending delivery reads as notSent(the stop's reason), as the counts do.
    const { rows } = await this.db.query<DeliveryRow>(
      `SELECT d.*, ct.id AS contact_id,
              CASE WHEN d.state = 'pending' AND c.unsent_reason IS NOT NULL THEN 'notSent' ELSE d.state END AS shown_state,
              coalesce(d.reason, CASE WHEN d.state = 'pending' THEN c.unsent_reason END) AS shown_reason
       FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id JOIN contacts ct ON ct.pk = d.contact_pk
       WHERE d.campaign_id = $1 AND d.id > $2 AND ($4::text IS NULL OR d.channel = $4)
         AND ($3::text IS NULL
              OR (d.state = $3 AND NOT ($3 = 'pending' AND c.unsent_reason IS NOT NULL))
              OR ($3 = 'notSent' AND d.state = 'pending' AND c.unsent_reason IS NOT NULL))
       ORDER BY d.id LIMIT $5`,
      [campaignId, Number(opts.after ?? 0), opts.state ?? null, opts.channel ?? null, opts.limit],
    );
    const items = rows.map(toDelivery);
    const last = rows[rows.length - 1];
    return { items, next: rows.length === opts.limit && last ? String(last.id) : null };
  }

  async listEvents(accountId: string, opts: { after?: string; limit: number; campaignId?: string; type?: string }): Promise<Page<HeraldEvent>> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT * FROM events WHERE account_id = $1 AND id > $2
         AND ($3::text IS NULL OR campaign_id = $3) AND ($4::text IS NULL OR type = $4)
       ORDER BY id LIMIT $5`,
      [accountId, Number(opts.after ?? 0), opts.campaignId ?? null, opts.type ?? null, opts.limit],
    );
    return page(rows, opts.limit, toEvent, (r) => String(r.id));
  }
}

function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    contactId: r.contact_id,
    channel: r.channel,
    state: r.shown_state,
    reason: r.shown_reason ?? null,
    error: r.error ?? null,
    providerMessageId: r.provider_message_id ?? null,
    providerStatus: r.provider_status ?? null,
    handedAt: r.handed_at ?? null,
    updatedAt: r.updated_at,
  };
}

function toEvent(r: EventRow): HeraldEvent {
  return {
    id: r.id,
    type: r.type,
    campaignId: r.campaign_id,
    contactId: r.contact_id,
    channel: r.channel,
    reason: r.reason ?? null,
    error: r.error ?? null,
    ...(r.provider ? { provider: r.provider } : {}),
    ...(r.bounce ? { bounce: r.bounce } : {}),
    at: r.at,
  };
}
