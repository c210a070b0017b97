/** Every word of Herald's domain that code compares against, defined once. */

/** Delivery channels Herald sends over. */
export const CHANNELS = ['email', 'sms', 'push', 'webpush'] as const;
/** One delivery channel. */
export type Channel = (typeof CHANNELS)[number];

/** Campaign statuses; the workflow is their source of truth, the store mirrors them. */
export const CAMPAIGN_STATUSES = [
  'Draft',
  'Scheduled',
  'Sending',
  'Paused',
  'Finished',
  'Stopped',
  'Cancelled',
  'Error',
] as const;
/** One campaign status. */
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * Delivery states: pending -> sent | notSent | failed, or inDoubt when it was handed to a provider and no answer came
 * (a worker lost mid-call, a timeout). A send batch holds pending deliveries by a lease, not by a state.
 */
export const DELIVERY_STATES = ['pending', 'sent', 'notSent', 'failed', 'inDoubt'] as const;
/** One delivery state. */
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** Why a delivery was not sent. */
export const NOT_SENT_REASONS = [
  'stopped',
  'cancelled',
  'brake_expired',
  'suppressed',
  'deleted',
  'end_date_passed',
  'provider_cancelled',
] as const;
/** One notSent reason. */
export type NotSentReason = (typeof NOT_SENT_REASONS)[number];

/** The prefix of each channel's event names (`message.sent`, `sms.notSent`, ...). */
export const EVENT_PREFIX: Record<Channel, string> = {
  email: 'message',
  sms: 'sms',
  push: 'push',
  webpush: 'webpush',
};

/** What happened to a delivery, as an event suffix. */
export type EventOutcome = 'sent' | 'notSent' | 'failed' | ReceiptOutcome;

/** The event name for an outcome on a channel, e.g. `eventType('sms', 'notSent')` is `sms.notSent`. */
export function eventType(channel: Channel, outcome: EventOutcome): string {
  return `${EVENT_PREFIX[channel]}.${outcome}`;
}

/** What a provider reports about a message after it was sent (a delivery receipt, a bounce, a complaint). */
export const RECEIPT_OUTCOMES = ['delivered', 'undelivered', 'bounced', 'complained', 'unsubscribed'] as const;
/** One receipt outcome. */
export type ReceiptOutcome = (typeof RECEIPT_OUTCOMES)[number];

/** Receipt outcomes that stand for the message's fate: a delivery has at most one of them (the latest). */
export const FATE_OUTCOMES = ['delivered', 'undelivered', 'bounced'] as const;

/** A bounce is hard (the address is bad: the contact is suppressed) or soft (temporary). */
export const BOUNCE_KINDS = ['hard', 'soft'] as const;
/** One bounce kind. */
export type BounceKind = (typeof BOUNCE_KINDS)[number];

/** The receipt outcomes each channel's providers report. */
export const RECEIPT_OUTCOMES_OF: Record<Channel, readonly ReceiptOutcome[]> = {
  email: ['delivered', 'undelivered', 'bounced', 'complained', 'unsubscribed'],
  sms: ['delivered', 'undelivered'],
  push: ['undelivered'],
  webpush: ['undelivered'],
};

/** Why a contact is suppressed on a channel, when Herald knows. */
export const SUPPRESSION_CAUSES = ['hard_bounce', 'complaint', 'unsubscribed', 'undeliverable'] as const;
/** One suppression cause. */
export type SuppressionCause = (typeof SUPPRESSION_CAUSES)[number];

/** All event names, for validation of filters. */
export const EVENT_TYPES: readonly string[] = CHANNELS.flatMap((c) => [
  ...(['sent', 'notSent', 'failed'] as const).map((o) => eventType(c, o)),
  ...RECEIPT_OUTCOMES_OF[c].map((o) => eventType(c, o)),
]);

/** Steps a stop or cancel report lists, in the order they run. */
export const REPORT_STEPS = [
  'in_flight_aborted',
  'audience_planned',
  'not_sent_written',
  'provider_cancellation',
  'final_counts',
] as const;
/** One report step. */
export type ReportStepName = (typeof REPORT_STEPS)[number];

/**
 * What can be done to a campaign once it has left Draft: an operator's actions, the account brake's hold and
 * release, and deleting a planned campaign.
 */
export const CONTROL_ACTIONS = ['pause', 'resume', 'stop', 'cancel', 'unschedule', 'brake', 'release', 'delete'] as const;
/** One control action. */
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** The statuses each control action is allowed from: the state machine's edges, written once. */
export const ALLOWED_FROM: Record<ControlAction, readonly CampaignStatus[]> = {
  pause: ['Sending'],
  resume: ['Paused'],
  stop: ['Sending', 'Paused', 'Finished'],
  cancel: ['Scheduled'],
  unschedule: ['Scheduled'],
  // The brake holds what is sending; a Scheduled campaign is held when its time comes (see the workflow).
  brake: ['Sending'],
  // Only what the brake holds is released (the workflow checks it holds the campaign).
  release: ['Paused', 'Scheduled'],
  delete: ['Scheduled', 'Sending', 'Paused'],
};

/** Planned campaigns: waiting for their time, or with deliveries still to hand over. */
export const PLANNED_STATUSES = ALLOWED_FROM.delete;

/** Deliveries planned longer than this before the brake's release are not sent: notSent(brake_expired). */
export const BRAKE_EXPIRY_MS = 7 * 24 * 60 * 60 * 1000;

/** The ISO time before which deliveries planned are not sent when the brake is released at `releasedAt`. */
export function brakeExpiry(releasedAt: Date | null): string {
  return new Date((releasedAt ?? new Date()).getTime() - BRAKE_EXPIRY_MS).toISOString();
}

/** Statuses a campaign never leaves. */
export const FINAL_STATUSES: readonly CampaignStatus[] = ['Stopped', 'Cancelled', 'Error'];

/** Whether `action` is allowed while a campaign is `status`. */
export function canControl(action: ControlAction, status: CampaignStatus): boolean {
  return ALLOWED_FROM[action].includes(status);
}

/** API key scopes, weakest first: each includes the ones before it (read < control < admin). */
export const SCOPES = ['read', 'control', 'admin'] as const;
/** One API key scope: `read` reads, `control` also changes things, `admin` also manages API keys. */
export type Scope = (typeof SCOPES)[number];

/** Whether a key with scope `has` may do what needs scope `needs`. */
export function scopeAllows(has: Scope, needs: Scope): boolean {
  return SCOPES.indexOf(has) >= SCOPES.indexOf(needs);
}
