/** The one interface every channel provider implements, and the channel-neutral message it receives. */
import type { Channel } from '../domain/vocabulary';

/** A rendered message for one delivery. `to` is an email address, a phone number, a push token, or a Web Push subscription as JSON. */
export interface OutboundMessage {
  deliveryId: number;
  campaignId: string;
  contactId: string;
  channel: Channel;
  to: string;
  subject?: string;
  body: string;
}

/** What a provider says about one message. */
export type SendOutcome =
  | { status: 'accepted'; providerMessageId: string }
  /** Worth trying again later (timeouts, 5xx, 429); `retryAfterMs` from Retry-After when given. */
  | { status: 'retryable'; error: string; retryAfterMs?: number }
  /** Never going to work for this recipient (invalid address, unregistered token). */
  | { status: 'permanent'; error: string };

/** A channel provider: sends a batch, one outcome per message in the same order. */
export interface Provider {
  readonly name: string;
  /** Sends messages; stops early and rejects when `signal` aborts, so nothing more leaves. */
  send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]>;
  close?(): Promise<void>;
}

/** Finds the provider for an account's channel. */
export interface ProviderRegistry {
  get(accountId: string, channel: Channel): Provider;
  close(): Promise<void>;
}
