/**
 * Web Push with VAPID (RFC 8030/8291/8292): the web-push package signs the VAPID JWT and encrypts the payload
 * (aes128gcm); the request goes out over Herald's keep-alive client. 404 and 410 mean the subscription is gone.
 */
import webpush from 'web-push';
import { HttpProvider, failure } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** Web Push settings of an account (the private key apart). */
export interface WebPushConfig {
  /** `mailto:` or `https:` contact for push services. */
  subject: string;
  /** The account's VAPID public key (base64url, uncompressed P-256 point). */
  publicKey: string;
  /** Seconds a push service keeps an undelivered message. */
  ttlSeconds?: number;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** The VAPID private key. */
export interface WebPushSecrets {
  privateKey: string;
}

/** The Web Push provider. */
export class WebPushProvider extends HttpProvider {
  readonly name = 'webpush';

  constructor(
    private readonly config: WebPushConfig,
    private readonly secrets: WebPushSecrets,
  ) {
    super(config, 50);
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    let subscription: webpush.PushSubscription;
    try {
      subscription = JSON.parse(m.to) as webpush.PushSubscription;
    } catch {
      return { status: 'permanent', error: 'webpush: the subscription is not JSON', suppress: true };
    }
    const payload = JSON.stringify({ title: m.subject ?? '', body: m.body, campaignId: m.campaignId, deliveryId: m.deliveryId });
    const request = webpush.generateRequestDetails(subscription, payload, {
      vapidDetails: { subject: this.config.subject, publicKey: this.config.publicKey, privateKey: this.secrets.privateKey },
      TTL: this.config.ttlSeconds ?? 86_400,
      contentEncoding: 'aes128gcm',
    });
    const res = await this.http.send(request.endpoint, {
      headers: request.headers as Record<string, string>,
      ...(request.body ? { body: request.body } : {}),
    });
    if (res.status >= 200 && res.status < 300) {
      const location = res.headers.location;
      return { status: 'accepted', providerMessageId: (Array.isArray(location) ? location[0] : location) ?? `webpush/${m.deliveryId}` };
    }
    // 404 and 410: the subscription is gone, so the contact is suppressed for web push.
    return failure(res, `webpush: HTTP ${res.status} ${res.text.slice(0, 200)}`.trim(), res.status === 404 || res.status === 410);
  }
}
