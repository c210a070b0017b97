/** The one interface every channel provider implements, and the channel-neutral message it receives. */
import type { Channel } from '../domain/vocabulary';

/**
 * A rendered message for one delivery. `to` is an email address, a phone number, a push token, or a Web Push
 * subscription as JSON. `deliveryId` is unique per (campaign, channel, contact): providers that take an idempotency
 * key get it, so a batch retried after a crash is not delivered twice.
 */
export interface OutboundMessage {
  deliveryId: number;
  campaignId: string;
  contactId: string;
  channel: Channel;
  to: string;
  subject?: string;
  body: string;
  /** Email only: the HTML part (the plain part is `body`). */
  html?: string;
  /** Email only: the one-click unsubscribe URL for the List-Unsubscribe header. */
  unsubscribeUrl?: string;
}

/** What a provider says about one message. */
export type SendOutcome =
  /** `providerStatus`: the provider's own word for where the message is (Twilio's `queued`, `scheduled`, ...). */
  | { status: 'accepted'; providerMessageId: string; providerStatus?: string }
  /**
   * Worth trying again later (timeouts, 5xx, 429); `retryAfterMs` from Retry-After when given. `throttled`: the
   * provider works but asks to slow down (429), which does not use up a message's attempts as quickly.
   * `notTaken`: certainly not delivered (the provider answered so, or the message never left); without it the
   * message is in doubt (a timeout, a broken connection) and is only ever resent under the same idempotency key.
   */
  | { status: 'retryable'; error: string; retryAfterMs?: number; throttled?: true; notTaken?: true }
  /**
   * Never going to work for this message. `suppress`: the address itself is bad or unsubscribed (hard bounce,
   * unregistered token, gone subscription), so later campaigns skip the contact on this channel.
   */
  | { status: 'permanent'; error: string; suppress?: boolean };

/** What a provider says about cancelling one message it accepted. */
export type CancelOutcome =
  | { status: 'cancelled' }
  /** Already on its way to the recipient (or unknown to the provider): nothing to cancel. */
  | { status: 'tooLate' }
  | { status: 'error'; error: string };

/**
 * A channel provider: sends a batch, one outcome per message in the same order. When `signal` aborts, or once
 * `performance.now()` is past `startBy`, it starts nothing more: messages not yet started come back NOT_STARTED
 * (they stay unsent), those already on the wire finish so their outcome is known. (It may instead reject if nothing
 * of the batch can have left.)
 */
export interface Provider {
  readonly name: string;
  /** Sends messages; see above for what an abort or `startBy` does. */
  send(messages: OutboundMessage[], signal: AbortSignal, startBy?: number): Promise<SendOutcome[]>;
  /** Present when the provider can cancel messages it still holds (queued or scheduled); one outcome per id. */
  cancel?(providerMessageIds: string[], signal: AbortSignal): Promise<CancelOutcome[]>;
  /** How long after accepting a message the provider may still hold it; older ones are not asked about. */
  readonly cancelWindowMs?: number;
  /**
   * The provider statuses (as its answers report them) in which, by its own documented rules, a message can still
   * be cancelled. Only such messages are asked about.
   */
  readonly recallable?: readonly string[];
  /**
   * The provider honours the delivery's idempotency key: a message sent twice under it is delivered once. Only then
   * is a message in doubt sent again when a campaign goes on.
   */
  readonly idempotent?: boolean;
  close?(): Promise<void>;
}

/** Finds the provider for an account's channel. */
export interface ProviderRegistry {
  get(accountId: string, channel: Channel): Promise<Provider>;
  close(): Promise<void>;
}

/** The outcome for a message left unsent because its batch was aborted (or its time to start ran out) first. */
export const NOT_STARTED: SendOutcome = { status: 'retryable', error: 'not sent: the batch was cancelled first', notTaken: true };
