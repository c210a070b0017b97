/** The store interface: everything Herald persists. The sending engine sees only this and the providers. */
import type {
  Audience,
  BrakeState,
  AudienceDefinition,
  Campaign,
  ChannelContent,
  ControlReport,
  Contact,
  Delivery,
  DeliveryCounts,
  HeraldEvent,
  Throttle,
} from '../domain/types';
import type { CampaignStatus, Channel, DeliveryState, NotSentReason, Scope } from '../domain/vocabulary';
import type { BookedSlots, PermitAsk } from './provider-limits';
import type { ReceiptStore } from './receipts';

/** Who is calling: the account and the API key (by its public id, for the audit log). */
export interface Principal {
  accountId: string;
  keyId: string;
  /** What the key may do (read < control < admin). */
  scope: Scope;
}

/** An API key as listed: never the key itself or its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: Scope;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A page of rows and the cursor for the next page (null at the end). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Fields a new campaign is created with. */
export interface NewCampaign {
  name: string;
  audienceId: string;
  channels: ChannelContent[];
  localTime?: string | null;
  throttle?: Throttle | null;
  endAt?: Date | null;
  excludeSentOf?: string[];
  resendInDoubt?: boolean;
}

/** Campaign fields a Draft may change. */
export type CampaignPatch = Partial<
  Pick<Campaign, 'name' | 'audienceId' | 'channels' | 'status' | 'scheduledAt' | 'localTime' | 'throttle' | 'endAt' | 'resendInDoubt'>
>;

/** What closes a campaign to senders. */
export type Fence = 'pause' | 'stop' | 'delete';

/** How many deliveries of each channel one call changed. */
export type ChannelTally = Partial<Record<Channel, number>>;

/** A delivery a provider accepted and may still hold. */
export interface HandedDelivery {
  id: number;
  providerMessageId: string;
  contactId: string;
}

/** Counts for a campaign, overall and per channel. */
export interface CampaignCounts {
  total: DeliveryCounts;
  byChannel: Partial<Record<Channel, DeliveryCounts>>;
}

/** Counts as they read once a stop has answered: what is still pending is notSent (its rows are being written). */
export function foldUnsent(counts: CampaignCounts): CampaignCounts {
  const fold = (c: DeliveryCounts): DeliveryCounts => ({ ...c, notSent: c.notSent + c.pending, pending: 0 });
  return {
    total: fold(counts.total),
    byChannel: Object.fromEntries(Object.entries(counts.byChannel).map(([ch, c]) => [ch, fold(c)])),
  };
}

/** The window, in seconds, over which the sending rate (and so a campaign's ETA) is measured. */
export const RATE_WINDOW_SECONDS = 10;

/** Outcome of planning one page of the audience. */
export interface PlanPageResult {
  /** The cursor after this page, or null when the audience is exhausted. */
  nextCursor: number | null;
  contacts: number;
  planned: number;
  suppressed: number;
}

/** A claimed delivery with what the provider needs to reach the contact. */
export interface ClaimedDelivery {
  id: number;
  channel: Channel;
  contact: Contact;
}

/** What happened to one delivery at the provider; `contactId` names it in its event. */
export type DeliveryResult = { id: number; contactId: string } & (
  | { state: 'sent'; providerMessageId: string | null; providerStatus?: string }
  /** `suppress`: the address itself is bad (bounced, unregistered, gone): the contact is suppressed on the channel. */
  | { state: 'failed'; error: string; suppress?: boolean }
  /**
   * Handed over, and no answer says whether it arrived (`error`: what happened instead): never resent to a provider
   * that ignores idempotency keys.
   */
  | { state: 'inDoubt'; error?: string }
);

/** One audit entry: who did what to which target, and how it went. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  result: 'ok' | 'refused' | 'error';
  detail?: Record<string, unknown>;
}

/** A channel's provider settings as stored: secrets stay sealed. */
export interface StoredProviderSettings {
  channel: Channel;
  kind: string;
  config: Record<string, unknown>;
  /** Sealed JSON (see providers/secrets.ts), or null when the provider needs none. */
  sealedSecrets: string | null;
  updatedAt: Date;
}

/** Accounts, their API keys, the request rate limits of their callers, and their emergency brake (accounts.ts). */
export interface AccountStore {
  createAccount(name: string, rawKey?: string): Promise<{ accountId: string; apiKey: string; keyId: string }>;
  /** The principal of an unrevoked key, or null. */
  authenticate(rawKey: string): Promise<Principal | null>;
  /** Counts a hit in a rate-limit bucket's window (shared by every process); returns the window's hits. */
  countHit(bucket: string, windowStart: Date): Promise<number>;
  /** A rate-limit bucket's hits in a window, without counting one. */
  hitsIn(bucket: string, windowStart: Date): Promise<number>;
  /** A new key of the account; the raw key is returned here only (the store keeps its hash). */
  createApiKey(accountId: string, name: string, scope: Scope): Promise<ApiKeyInfo & { key: string }>;
  /** The account's keys, oldest first, revoked ones included. */
  listApiKeys(accountId: string): Promise<ApiKeyInfo[]>;
  /** Revokes one of the account's keys (at once, for good); null when the account has no such key. */
  revokeApiKey(accountId: string, id: string, at: Date): Promise<ApiKeyInfo | null>;

  getBrake(accountId: string): Promise<BrakeState>;
  /** Turns the account's brake on or off; a change records when and by whom, a repeat changes nothing. */
  setBrake(accountId: string, on: boolean, by: string, at: Date): Promise<BrakeState>;
}

/** Contacts and the audiences that select them (contacts.ts). */
export interface ContactStore {
  upsertContacts(accountId: string, contacts: Contact[]): Promise<number>;
  getContact(accountId: string, id: string): Promise<Contact | null>;
  /** Contacts by cursor; `q` keeps those whose id, email or phone contains it (case-insensitive). */
  listContacts(accountId: string, opts: { after?: string; limit: number; q?: string }): Promise<Page<Contact>>;
  /** Adds `channel` to the contact's suppressed channels (unsubscribe, bounce, unregistered token). */
  suppressContact(accountId: string, contactId: string, channel: Channel): Promise<boolean>;

  createAudience(accountId: string, name: string, def: AudienceDefinition): Promise<Audience & { size: number }>;
  getAudience(accountId: string, id: string): Promise<(Audience & { size: number }) | null>;
  listAudiences(accountId: string): Promise<Audience[]>;
}

/** Campaigns: their fields, the status the workflow mirrors, the brake's hold, and their control reports (campaigns.ts). */
export interface CampaignStore {
  createCampaign(accountId: string, input: NewCampaign): Promise<Campaign>;
  getCampaign(accountId: string, id: string): Promise<Campaign | null>;
  /** Reads a campaign without an account scope: for activities, which act on behalf of the workflow. */
  loadCampaign(id: string): Promise<Campaign | null>;
  /** Newest first; deleted campaigns are left out unless `includeDeleted`. */
  listCampaigns(
    accountId: string,
    opts: { status?: CampaignStatus; includeDeleted?: boolean; after?: string; limit: number },
  ): Promise<Page<Campaign>>;
  /** The account's campaigns (not deleted) in one of `statuses`, and only those the brake holds when `heldByBrake`. */
  campaignIdsWhere(accountId: string, where: { statuses: readonly CampaignStatus[]; heldByBrake?: boolean }): Promise<string[]>;
  /** Planned campaigns (not deleted) in `statuses`, with the earliest planned time of a pending delivery, soonest first. */
  listPlanned(accountId: string, statuses: readonly CampaignStatus[]): Promise<(Campaign & { nextPlannedAt: Date | null })[]>;
  /** Applies `patch` only while the campaign is in one of `from`; returns null when it was not. */
  updateCampaign(accountId: string, id: string, from: readonly CampaignStatus[], patch: CampaignPatch): Promise<Campaign | null>;
  /**
   * Mirrors a status the workflow reached, with the timestamps that go with it; the brake no longer holds the
   * campaign (only `holdForBrake` holds), and `deleted` marks it deleted. With `unsentReason` (a stop's answer), every
   * read from then on shows the campaign's pending deliveries as notSent(reason).
   */
  recordStatus(id: string, status: CampaignStatus, at: Date, extra?: { error?: string; deleted?: boolean; unsentReason?: NotSentReason }): Promise<void>;
  /**
   * While the campaign's account brake is on, marks the campaign held by it in `status`; returns the brake as it
   * was. Serialised with `setBrake` on the account row, so a release either sees the hold or the hold sees the
   * release.
   */
  holdForBrake(campaignId: string, status: CampaignStatus): Promise<BrakeState>;
  /** Keeps a stop's, cancel's or delete's report; once one is completed, an incomplete one saved later is ignored. */
  saveReport(campaignId: string, report: ControlReport): Promise<void>;
  getReport(accountId: string, campaignId: string): Promise<ControlReport | null>;
}

/** Deliveries and their events: planning, leases, handovers, outcomes, the stop's fence, and the counts (deliveries.ts). */
export interface DeliveryStore {
  countDeliveries(campaignId: string): Promise<CampaignCounts>;
  /** Counts for several campaigns in one query (campaigns without deliveries get zero counts). */
  countDeliveriesOf(campaignIds: string[]): Promise<Map<string, CampaignCounts>>;
  /** Per campaign, deliveries that reached sent or failed in the last `RATE_WINDOW_SECONDS` (whole seconds): its rate. */
  recentlyDone(campaignIds: string[]): Promise<Map<string, number>>;

  /**
   * Plans one page of the audience after contact key `cursor`: a pending delivery per reachable contact and
   * channel (idempotent), due at `startAt` or at the campaign's local time of day in the contact's timezone.
   */
  planPage(campaign: Campaign, cursor: number, limit: number, startAt: Date): Promise<PlanPageResult>;
  /**
   * Refreshes the query planner's statistics of the deliveries table. Planning writes many rows at once; without
   * fresh statistics (PGlite never gathers them by itself) claims and result writes pick slow plans.
   */
  analyzeDeliveries(): Promise<void>;
  /**
   * Refreshes the query planner's statistics of the contacts table, before a campaign's first audience page. After
   * a large import they are stale (PostgreSQL's autovacuum analyzes later, PGlite never), and a page's query then
   * reads every contact of the account after the cursor and sorts them, for each page: 77 s to plan a million.
   */
  analyzeContacts(): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries of a channel due by `now` to the batch `batchKey`: one row, however many
   * deliveries, and none of them written.
   */
  claimLease(campaignId: string, channel: Channel, batchKey: string, limit: number, now: Date): Promise<ClaimedDelivery[]>;
  /**
   * Adds the chunk the batch is about to hand to the provider to its lease. False when it must send nothing: the
   * campaign is fenced (paused, stopped, deleted), the account's brake is on, or the lease is gone. Once a fence or
   * the brake is written, no handover can pass.
   */
  handOver(campaignId: string, batchKey: string, deliveryIds: number[]): Promise<boolean>;
  /**
   * Records outcomes and their events in one statement, with the counts they change, and takes the chunk's `handed`
   * ids out of its lease. Only pending or inDoubt deliveries change (inDoubt ones when a lost call's answer comes).
   */
  recordResults(campaign: Campaign, results: DeliveryResult[], lease?: { batchKey: string; handed: number[] }): Promise<void>;
  /** Ends a batch's lease; deliveries it still holds pending are free for other batches. */
  releaseLease(campaignId: string, batchKey: string): Promise<void>;
  /**
   * Once no batch of the campaign runs (or of the one lease `batchKey`, when its batch is retried): what leases still
   * name as handed (a worker lost mid-call) becomes inDoubt, and the leases go. Returns the inDoubt made, per channel.
   */
  settleLeases(campaignId: string, batchKey?: string): Promise<ChannelTally>;
  /**
   * True when nothing more of the campaign can leave: it is closed to senders (fenced, or its account braked) and
   * none of its leases names a chunk as handed over (every call answered, its outcome recorded).
   */
  isQuiet(campaignId: string): Promise<boolean>;
  /** Of `campaignIds`, those closed to senders now: fenced, or their account braked. */
  closedOf(campaignIds: string[]): Promise<string[]>;
  /** Closes the campaign to senders (`pause`, `stop`, `delete`) or opens it again (null). */
  fence(campaignId: string, fence: Fence | null): Promise<void>;
  /**
   * Sends inDoubt deliveries of `channels` (providers that honour the idempotency key) back to pending; returns
   * how many.
   */
  retryInDoubt(campaignId: string, channels: Channel[]): Promise<number>;
  /** The earliest planned time of a pending delivery, or null when none is pending. */
  nextPlannedAt(campaignId: string): Promise<Date | null>;
  /**
   * Marks up to `limit` pending deliveries (only those planned before `plannedBefore` if given) notSent(`reason`)
   * with one event each; returns how many per channel (empty when none were left). Deliveries that were in doubt
   * and are pending again are left to `settleLeases`, which makes them inDoubt. When `reason` is the campaign's
   * unsent reason (a stop's answer set it), its pending deliveries already read as notSent: only their events are
   * written, each once.
   */
  markUnsent(campaign: Campaign, reason: NotSentReason, limit: number, plannedBefore?: Date): Promise<ChannelTally>;
  /**
   * Sent deliveries of a channel whose provider status is one of `statuses`, handed over since `since`, by id after
   * `afterId`: what the provider can still take back by its own rules.
   */
  listRecallable(campaignId: string, channel: Channel, statuses: readonly string[], since: Date, afterId: number, limit: number): Promise<HandedDelivery[]>;
  /** Sent deliveries the provider cancelled become notSent(provider_cancelled), with their events. */
  recordCancelled(campaign: Campaign, deliveryIds: number[]): Promise<void>;
  listDeliveries(
    campaignId: string,
    opts: { state?: DeliveryState; channel?: Channel; after?: string; limit: number },
  ): Promise<Page<Delivery>>;

  listEvents(
    accountId: string,
    opts: { after?: string; limit: number; campaignId?: string; type?: string },
  ): Promise<Page<HeraldEvent>>;
}

/** Each account's provider settings per channel, secrets sealed (providers.ts). */
export interface ProviderStore {
  getProviderSettings(accountId: string, channel: Channel): Promise<StoredProviderSettings | null>;
  listProviderSettings(accountId: string): Promise<StoredProviderSettings[]>;
  putProviderSettings(
    accountId: string,
    settings: Omit<StoredProviderSettings, 'updatedAt'>,
  ): Promise<StoredProviderSettings>;
  deleteProviderSettings(accountId: string, channel: Channel): Promise<boolean>;
  /** Books `count` start slots `intervalMs` apart on the account provider's timeline, shared by every worker. */
  bookProviderSlots(accountId: string, channel: Channel, count: number, intervalMs: number): Promise<BookedSlots>;
  /** Leases a worker's share of the account provider's concurrency (see provider-limits.ts); returns the permits. */
  leaseProviderPermits(accountId: string, channel: Channel, ask: PermitAsk): Promise<number>;
}

/** The audit log: who did what to which target (audit.ts). */
export interface AuditStore {
  audit(accountId: string, entry: AuditEntry): Promise<void>;
  listAudit(accountId: string, opts: { after?: string; limit: number }): Promise<Page<AuditEntry & { id: number; at: Date }>>;
}

/**
 * Herald's persistence: one part per aggregate, implemented once in SQL over the embedded (PGlite) and PostgreSQL
 * connections (sql-store.ts puts the parts together).
 */
export interface Store extends AccountStore, ContactStore, CampaignStore, DeliveryStore, ProviderStore, AuditStore {
  /** What providers report after sent: receipts, their counts, the receipt routes, suppression causes. */
  readonly receipts: ReceiptStore;
  /**
   * The deliveries for the send path's statements (planning pages, leases, handovers, outcomes, and the notSent events
   * written after a stop): on the embedded store they wait behind every other query (see SqlClient.background), so a
   * stop or an API read overtakes the batches.
   */
  readonly sending: DeliveryStore;

  /** Answers once the database does (readiness probes); throws when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the activities of a campaign's workflow use: its deliveries, and the few campaign and brake calls a run
 * makes (read the campaign, mirror its status, hold it for the brake, keep its report).
 */
export type RunStore = DeliveryStore &
  Pick<CampaignStore, 'loadCampaign' | 'recordStatus' | 'holdForBrake' | 'saveReport'> &
  Pick<AccountStore, 'getBrake'>;
