/** Plain data shapes shared by the store, activities and API. No I/O here. */
import type { BounceKind, CampaignStatus, Channel, DeliveryState, NotSentReason, ReportStepName } from './vocabulary';

/** A recipient. `id` is the caller's own identifier, unique per account. */
export interface Contact {
  id: string;
  email?: string | null;
  phone?: string | null;
  pushTokens: string[];
  webPushSubscriptions: WebPushSubscription[];
  timezone?: string | null;
  attributes: Record<string, unknown>;
  /** Channels this contact must not receive (unsubscribed, bounced, no consent). */
  suppressed: Channel[];
}

/** A Web Push subscription as a browser's PushManager returns it. */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** One condition of an audience filter over contact attributes. */
export interface FilterCondition {
  attribute: string;
  op: 'eq' | 'neq' | 'in' | 'exists' | 'gt' | 'gte' | 'lt' | 'lte';
  value?: unknown;
}

/** A group of conditions of which at least one must hold. */
export interface AnyGroup {
  any: FilterCondition[];
}

/** One term of a filter's `all` list: a condition that must hold, or a group of which one must hold. */
export type FilterTerm = FilterCondition | AnyGroup;

/** Whether a filter term is an `any` group. */
export const isAnyGroup = (term: FilterTerm): term is AnyGroup => 'any' in term;

/**
 * Who a campaign goes to: a fixed list of contacts, or every contact matching every term of `all` (each a
 * condition, or an `any` group of which at least one condition holds).
 */
export type AudienceDefinition =
  | { type: 'list'; contactIds: string[] }
  | { type: 'filter'; all: FilterTerm[] };

/** A stored audience. */
export interface Audience {
  id: string;
  name: string;
  type: 'list' | 'filter';
  conditions: FilterTerm[];
  createdAt: Date;
}

/** What one channel of a campaign sends (Liquid templates). Subject is for email and push titles. */
export interface ChannelContent {
  channel: Channel;
  subject?: string;
  body: string;
  /** Email only: an HTML part beside the plain `body`. */
  html?: string;
  /** Rendered for a variable the contact does not have (default: nothing). */
  fallback?: string;
}

/** At most `limit` messages per `periodSeconds`; the rest wait for the next window. */
export interface Throttle {
  limit: number;
  periodSeconds: number;
}

/** A campaign as stored. Counts are never stored: they are derived from deliveries. */
export interface Campaign {
  id: string;
  accountId: string;
  name: string;
  status: CampaignStatus;
  audienceId: string;
  channels: ChannelContent[];
  scheduledAt: Date | null;
  /** `HH:MM` or `HH:MM:SS`: deliver at this time of day in each recipient's timezone (UTC when unknown). */
  localTime: string | null;
  throttle: Throttle | null;
  /** Nothing is sent after this time; what is left becomes notSent(end_date_passed). */
  endAt: Date | null;
  /** Contacts sent any of these campaigns are left out (copy as draft). */
  excludeSentOf: string[];
  /**
   * At-least-once for messages in doubt: when the campaign goes on they are sent again to every provider (a recipient
   * may get one twice), not only to providers that honour the idempotency key (the default: never twice).
   */
  resendInDoubt: boolean;
  /** The campaign this Draft was copied from: the last one it excludes. */
  copiedFrom: string | null;
  /** The account brake holds it: it goes on when the brake is released (not when paused by hand). */
  heldByBrake: boolean;
  /** Deleted from the planned sends: its unsent deliveries are notSent(deleted); lists leave it out. */
  deletedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Delivery counts; `sent + notSent + failed + inDoubt + pending = planned`. */
export interface DeliveryCounts {
  planned: number;
  /** Not yet handed to a provider (or at one right now). */
  pending: number;
  sent: number;
  notSent: number;
  failed: number;
  /** Handed to a provider with no answer (a worker lost mid-call, a timeout): maybe delivered, never resent by a stop. */
  inDoubt: number;
}

/** A delivery as the API shows it. */
export interface Delivery {
  id: number;
  contactId: string;
  channel: Channel;
  state: DeliveryState;
  reason: NotSentReason | null;
  error: string | null;
  providerMessageId: string | null;
  /** The provider's last known status of the message (e.g. Twilio's `queued`), when it says one. */
  providerStatus: string | null;
  /** When an inDoubt delivery was handed to its provider. */
  handedAt: Date | null;
  updatedAt: Date;
}

/** An appended event. */
export interface HeraldEvent {
  id: number;
  type: string;
  campaignId: string;
  contactId: string;
  channel: Channel;
  reason: string | null;
  error: string | null;
  /** Receipt events: the provider that reported it. */
  provider?: string;
  /** Bounce events: hard or soft. */
  bounce?: BounceKind;
  at: Date;
}

/** Zero counts, the start of every sum. */
export function emptyCounts(): DeliveryCounts {
  return { planned: 0, pending: 0, sent: 0, notSent: 0, failed: 0, inDoubt: 0 };
}

/** One step of a stop, cancel or delete, as the report panel lists it. */
export interface ReportStep {
  step: ReportStepName;
  at: string;
  /** What happened, in words. */
  result: string;
  /** Numbers behind the result, e.g. notSent written per channel. */
  counts?: Record<string, number>;
  /** A step that takes a while: how far it is (`done` of `total`), and when it ended (absent while it runs). */
  done?: number;
  total?: number;
  endedAt?: string;
}

/** What a stop, cancel or delete did, step by step, and the counts it left. */
export interface ControlReport {
  campaignId: string;
  action: 'stop' | 'cancel' | 'delete';
  requestedBy: string;
  requestedAt: string;
  /** When the action answered: nothing could leave any more and the counts were final. */
  answeredAt: string;
  /** When the last step ended (null while the compensation still runs). */
  completedAt: string | null;
  /** The status the campaign was in when the action arrived. */
  from: CampaignStatus;
  steps: ReportStep[];
  counts: DeliveryCounts;
  byChannel: Partial<Record<Channel, DeliveryCounts>>;
}

/** The account's emergency brake: on or off, since when, and who set it so. */
export interface BrakeState {
  on: boolean;
  since: Date | null;
  by: string | null;
}
