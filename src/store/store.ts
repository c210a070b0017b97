/** The store interface: everything Herald persists. The sending engine sees only this and the providers. */
import type {
  Audience,
  AudienceDefinition,
  Campaign,
  ChannelContent,
  Contact,
  Delivery,
  DeliveryCounts,
  HeraldEvent,
} from '../domain/types';
import type { CampaignStatus, Channel, DeliveryState, NotSentReason } from '../domain/vocabulary';

/** Who is calling: the account and the API key (by its public id, for the audit log). */
export interface Principal {
  accountId: string;
  keyId: string;
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
}

/** Counts for a campaign, overall and per channel. */
export interface CampaignCounts {
  total: DeliveryCounts;
  byChannel: Partial<Record<Channel, DeliveryCounts>>;
}

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

/** What happened to one delivery at the provider. */
export type DeliveryResult =
  | { id: number; state: 'sent'; providerMessageId: string | null }
  | { id: number; state: 'failed'; error: string }
  | { id: number; state: 'notSent'; reason: NotSentReason };

/** One audit entry: who did what to which target, and how it went. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  result: 'ok' | 'refused' | 'error';
  detail?: Record<string, unknown>;
}

/** Herald's persistence; implemented once in SQL over the embedded (PGlite) and PostgreSQL connections. */
export interface Store {
  createAccount(name: string, rawKey?: string): Promise<{ accountId: string; apiKey: string; keyId: string }>;
  authenticate(rawKey: string): Promise<Principal | null>;

  upsertContacts(accountId: string, contacts: Contact[]): Promise<number>;
  getContact(accountId: string, id: string): Promise<Contact | null>;
  listContacts(accountId: string, opts: { after?: string; limit: number }): Promise<Page<Contact>>;

  createAudience(accountId: string, name: string, def: AudienceDefinition): Promise<Audience & { size: number }>;
  getAudience(accountId: string, id: string): Promise<(Audience & { size: number }) | null>;
  listAudiences(accountId: string): Promise<Audience[]>;

  createCampaign(accountId: string, input: NewCampaign): Promise<Campaign>;
  getCampaign(accountId: string, id: string): Promise<Campaign | null>;
  /** Reads a campaign without an account scope: for activities, which act on behalf of the workflow. */
  loadCampaign(id: string): Promise<Campaign | null>;
  listCampaigns(
    accountId: string,
    opts: { status?: CampaignStatus; after?: string; limit: number },
  ): Promise<Page<Campaign>>;
  /** Applies `patch` only while the campaign is in one of `from`; returns null when it was not. */
  updateCampaign(
    accountId: string,
    id: string,
    from: readonly CampaignStatus[],
    patch: Partial<Pick<Campaign, 'name' | 'audienceId' | 'channels' | 'status' | 'scheduledAt'>>,
  ): Promise<Campaign | null>;
  /** Mirrors a status the workflow reached, with the timestamps that go with it. */
  recordStatus(id: string, status: CampaignStatus, at: Date, error?: string): Promise<void>;
  countDeliveries(campaignId: string): Promise<CampaignCounts>;
  /** Counts for several campaigns in one query (campaigns without deliveries get zero counts). */
  countDeliveriesOf(campaignIds: string[]): Promise<Map<string, CampaignCounts>>;

  planPage(campaign: Campaign, cursor: number, limit: number): Promise<PlanPageResult>;
  /**
   * Claims up to `limit` pending deliveries under `batchKey`. With `resume`, first takes back what an earlier
   * attempt under the same key claimed and did not finish (and claims nothing new if there is any).
   */
  claimBatch(campaignId: string, channel: Channel, batchKey: string, limit: number, resume: boolean): Promise<ClaimedDelivery[]>;
  recordResults(campaign: Campaign, results: DeliveryResult[]): Promise<void>;
  /** Returns deliveries left in `sending` by batches that no longer run to `pending`. */
  releaseOrphans(campaignId: string): Promise<number>;
  listDeliveries(
    campaignId: string,
    opts: { state?: DeliveryState; channel?: Channel; after?: string; limit: number },
  ): Promise<Page<Delivery>>;

  listEvents(
    accountId: string,
    opts: { after?: string; limit: number; campaignId?: string; type?: string },
  ): Promise<Page<HeraldEvent>>;
  audit(accountId: string, entry: AuditEntry): Promise<void>;
  listAudit(accountId: string, opts: { after?: string; limit: number }): Promise<Page<AuditEntry & { id: number; at: Date }>>;

  close(): Promise<void>;
}
