/**
 * SMS through Vonage's SMS API: a form POST per message with the API key and secret; the answer's message-id is
 * what Vonage's delivery receipts report back. Vonage answers HTTP 200 with a status per message: 0 is accepted.
 */
import { HttpProvider, failure, form, json } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** Vonage settings (secrets apart). */
export interface VonageConfig {
  /** API base, `https://rest.nexmo.com` unless an emulator. */
  baseUrl: string;
  apiKey: string;
  /** Sender: a number (E.164) or an alphanumeric sender id. */
  from: string;
  /** How delivery receipts are signed (the dashboard's signature method; default sha256). */
  signatureMethod?: 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** Vonage credentials. */
export interface VonageSecrets {
  apiSecret: string;
  /** The signature secret delivery receipts are signed with. */
  signatureSecret?: string;
}

/** Statuses worth another try: throttled, internal error (https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms). */
const RETRYABLE = new Set(['1', '5']);
/** Statuses that mean the number cannot receive: invalid message / unroutable, barred, deactivated. */
const BAD_NUMBER = new Set(['6', '7', '33']);

interface VonageAnswer {
  messages?: { status?: string; 'message-id'?: string; 'error-text'?: string }[];
}

/** The Vonage SMS provider. */
export class VonageSmsProvider extends HttpProvider {
  readonly name = 'vonage';
  private readonly url: string;

  constructor(
    private readonly config: VonageConfig,
    private readonly secrets: VonageSecrets,
  ) {
    super(config, 20);
    this.url = `${config.baseUrl.replace(/\/$/, '')}/sms/json`;
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const res = await this.http.send(this.url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({
        api_key: this.config.apiKey,
        api_secret: this.secrets.apiSecret,
        from: this.config.from.replace(/^\+/, ''),
        to: m.to.replace(/^\+/, ''),
        text: m.body,
        'client-ref': String(m.deliveryId),
      }),
    });
    if (res.status !== 200) return failure(res, `vonage: HTTP ${res.status}`);
    const first = json<VonageAnswer>(res.text)?.messages?.[0];
    const status = first?.status;
    if (status === '0' && first?.['message-id']) return { status: 'accepted', providerMessageId: first['message-id'] };
    const error = `vonage: status ${status ?? '?'} ${first?.['error-text'] ?? ''}`.trim();
    if (status && RETRYABLE.has(status)) return { status: 'retryable', error, notTaken: true, ...(status === '1' ? { throttled: true as const } : {}) };
    return { status: 'permanent', error, ...(status && BAD_NUMBER.has(status) ? { suppress: true } : {}) };
  }
}
