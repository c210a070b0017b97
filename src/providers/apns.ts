/**
 * Mobile push through the Apple Push Notification service directly: HTTP/2 (node:http2, one multiplexed
 * connection) with token-based auth, an ES256 JWT signed with the team's .p8 key (jose), made again every 50
 * minutes (Apple refuses tokens older than an hour) and at once when APNs answers ExpiredProviderToken.
 */
import { randomUUID } from 'node:crypto';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { SignJWT, importPKCS8, type KeyLike } from 'jose';
import { Limiter, limitsOf, retryAfterMs, type SharedLimits } from './limits';
import { NOT_STARTED, type OutboundMessage, type Provider, type SendOutcome } from './provider';

/** APNs settings (secrets apart). */
export interface ApnsConfig {
  /** `https://api.push.apple.com`, `https://api.sandbox.push.apple.com`, or an emulator. */
  baseUrl: string;
  teamId: string;
  keyId: string;
  /** The app's bundle id: the apns-topic. */
  bundleId: string;
  /** Extra CA certificates (PEM) to trust: for an emulator. */
  ca?: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  /** The account provider's limits in the store, so `ratePerSecond` and `concurrency` hold across workers. */
  shared?: SharedLimits;
}

/** APNs credentials: the .p8 key's PEM text. */
export interface ApnsSecrets {
  privateKey: string;
}

/** Reasons that mean the token is gone or not this app's: the contact is suppressed on push. */
const GONE = new Set(['BadDeviceToken', 'Unregistered', 'DeviceTokenNotForTopic', 'ExpiredToken']);
const TOKEN_LIFETIME_MS = 50 * 60_000;

/** The APNs provider: 200 accepted; 429, 500 and 503 retried; 410 and bad tokens failed and suppressed. */
export class ApnsProvider implements Provider {
  readonly name = 'apns';
  private readonly limiter: Limiter;
  private session: ClientHttp2Session | undefined;
  private key: Promise<KeyLike> | undefined;
  private token: { value: string; at: number } | undefined;

  constructor(
    private readonly config: ApnsConfig,
    private readonly secrets: ApnsSecrets,
  ) {
    this.limiter = new Limiter(limitsOf(config, config.concurrency ?? 100));
  }

  send(messages: OutboundMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return this.limiter.each(messages, signal, async (m) => {
      if (signal.aborted) return NOT_STARTED;
      try {
        let answer = await this.post(m, await this.providerToken());
        if (answer.status === 403 && answer.reason === 'ExpiredProviderToken') answer = await this.post(m, await this.providerToken(true));
        return this.outcome(answer);
      } catch (err) {
        return { status: 'retryable', error: `apns: ${(err as Error).message}` };
      }
    });
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s && !s.closed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The provider token, made again when older than 50 minutes or `renew`. */
  async providerToken(renew = false): Promise<string> {
    if (!renew && this.token && Date.now() - this.token.at < TOKEN_LIFETIME_MS) return this.token.value;
    this.key ??= importPKCS8(this.secrets.privateKey, 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.config.keyId })
      .setIssuer(this.config.teamId)
      .setIssuedAt()
      .sign(await this.key);
    this.token = { value, at: Date.now() };
    return value;
  }

  private outcome(a: { status: number; reason?: string; apnsId?: string; retryAfter?: string }): SendOutcome {
    if (a.status === 200) return { status: 'accepted', providerMessageId: a.apnsId ?? '' };
    const error = `apns: HTTP ${a.status}${a.reason ? ` ${a.reason}` : ''}`;
    if (a.status === 429 || a.status >= 500) {
      const after = retryAfterMs(a.retryAfter);
      return { status: 'retryable', error, notTaken: true, ...(a.status === 429 ? { throttled: true as const } : {}), ...(after !== undefined ? { retryAfterMs: after } : {}) };
    }
    return { status: 'permanent', error, ...(a.status === 410 || GONE.has(a.reason ?? '') ? { suppress: true } : {}) };
  }

  private connection(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(this.config.baseUrl, this.config.ca ? { ca: this.config.ca } : {});
    session.on('error', () => {
      if (this.session === session) this.session = undefined;
    });
    session.on('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }

  private post(m: OutboundMessage, token: string): Promise<{ status: number; reason?: string; apnsId?: string; retryAfter?: string }> {
    const apnsId = randomUUID();
    const payload = JSON.stringify({ aps: { alert: { ...(m.subject ? { title: m.subject } : {}), body: m.body } }, campaignId: m.campaignId });
    return new Promise((resolve, reject) => {
      const req = this.connection().request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: `/3/device/${encodeURIComponent(m.to)}`,
        authorization: `bearer ${token}`,
        'apns-topic': this.config.bundleId,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-id': apnsId,
        'content-type': 'application/json',
      });
      req.setTimeout(this.config.timeoutMs ?? 15_000, () => req.close(constants.NGHTTP2_CANCEL));
      let status = 0;
      let headers: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        headers = h;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('close', () => {
        if (status === 0) return reject(new Error('no answer (timeout or connection lost)'));
        let reason: string | undefined;
        try {
          reason = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: string }).reason;
        } catch {
          reason = undefined;
        }
        resolve({
          status,
          ...(reason ? { reason } : {}),
          apnsId: (headers['apns-id'] as string | undefined) ?? apnsId,
          ...(typeof headers['retry-after'] === 'string' ? { retryAfter: headers['retry-after'] } : {}),
        });
      });
      req.end(payload);
    });
  }
}
