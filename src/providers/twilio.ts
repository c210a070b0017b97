/**
 * SMS through an HTTP API in the style of Twilio's Messages resource: form-encoded create with basic auth and a
 * status callback, and cancel of a queued or scheduled message by updating its Status to `canceled`.
 * Plain undici with keep-alive rather than the twilio SDK: two calls are all Herald needs, and the SDK is large.
 */
import { HttpProvider, failure, form, json } from './http';
import type { CancelOutcome, OutboundMessage, SendOutcome } from './provider';

/** Twilio-style SMS settings (secrets apart). */
export interface TwilioConfig {
  /** API base, `https://api.twilio.com` unless an emulator or a compatible gateway. */
  baseUrl: string;
  accountSid: string;
  /** Sender number (E.164) or messaging service SID (`MG...`). */
  from: string;
  statusCallback?: string;
  /** How long after acceptance a message may still be queued or scheduled (cancellable); default an hour. */
  cancelWindowSeconds?: number;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** Twilio-style credentials. */
export interface TwilioSecrets {
  authToken: string;
}

/** Error codes that mean the number itself cannot receive: the contact is suppressed for SMS. */
const BAD_NUMBER = new Set([21211, 21214, 21610, 21612, 21614]);

interface TwilioMessage {
  sid?: string;
  status?: string;
  code?: number;
  message?: string;
}

/** The Twilio-style SMS provider. */
export class TwilioSmsProvider extends HttpProvider {
  readonly name = 'twilio';
  readonly cancelWindowMs: number;
  /** Twilio cancels a message only while it has not left: scheduled, queued, or accepted by a messaging service. */
  readonly recallable = ['scheduled', 'queued', 'accepted'];
  private readonly auth: string;
  private readonly messagesUrl: string;

  constructor(
    private readonly config: TwilioConfig,
    secrets: TwilioSecrets,
  ) {
    super(config, 20);
    this.cancelWindowMs = (config.cancelWindowSeconds ?? 3600) * 1000;
    this.auth = `Basic ${Buffer.from(`${config.accountSid}:${secrets.authToken}`).toString('base64')}`;
    this.messagesUrl = `${config.baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${config.accountSid}/Messages`;
  }

  async cancel(providerMessageIds: string[], signal: AbortSignal): Promise<CancelOutcome[]> {
    const outcomes = await this.within(providerMessageIds, signal, async (sid): Promise<SendOutcome> => {
      let res;
      try {
        res = await this.post(`${this.messagesUrl}/${encodeURIComponent(sid)}.json`, { Status: 'canceled' });
      } catch (err) {
        return { status: 'retryable', error: `twilio: ${(err as Error).message}` };
      }
      const body = json<TwilioMessage>(res.text);
      if (res.status === 200 && body?.status === 'canceled') return { status: 'accepted', providerMessageId: sid };
      // Already sent or delivered, or unknown: nothing left to cancel.
      if (res.status === 400 || res.status === 404) return { status: 'permanent', error: body?.message ?? `HTTP ${res.status}` };
      return { status: 'retryable', error: `twilio: HTTP ${res.status} ${body?.message ?? ''}`.trim() };
    });
    return outcomes.map((o): CancelOutcome => {
      if (o.status === 'accepted') return { status: 'cancelled' };
      if (o.status === 'permanent') return { status: 'tooLate' };
      return { status: 'error', error: o.error };
    });
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const from = this.config.from.startsWith('MG') ? { MessagingServiceSid: this.config.from } : { From: this.config.from };
    const res = await this.post(`${this.messagesUrl}.json`, { To: m.to, ...from, Body: m.body, StatusCallback: this.config.statusCallback });
    const body = json<TwilioMessage>(res.text);
    if (res.status === 201 && body?.sid) {
      return { status: 'accepted', providerMessageId: body.sid, ...(body.status ? { providerStatus: body.status } : {}) };
    }
    const error = `twilio: HTTP ${res.status}${body?.code ? ` ${body.code}` : ''} ${body?.message ?? ''}`.trim();
    return failure(res, error, body?.code !== undefined && BAD_NUMBER.has(body.code));
  }

  private post(url: string, fields: Record<string, string | undefined>) {
    return this.http.send(url, {
      headers: { authorization: this.auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form(fields),
    });
  }
}
