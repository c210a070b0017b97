/**
 * Mobile push through FCM HTTP v1: a service account's key signs a JWT (jose) exchanged for an OAuth2 access
 * token at its token URI; the token is cached until shortly before it expires and refreshed on a 401.
 */
import { SignJWT, importPKCS8, type KeyLike } from 'jose';
import { HttpProvider, failure, form, json, NotSentError } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** FCM settings (secrets apart). */
export interface FcmConfig {
  projectId: string;
  /** API base, `https://fcm.googleapis.com` unless an emulator. */
  baseUrl: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** The service account (its JSON key file's fields Herald uses). */
export interface FcmSecrets {
  serviceAccount: { client_email: string; private_key: string; token_uri: string };
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

interface FcmError {
  error?: { code?: number; message?: string; status?: string; details?: { errorCode?: string }[] };
}

/** The FCM HTTP v1 provider. */
export class FcmProvider extends HttpProvider {
  readonly name = 'fcm';
  private key: Promise<KeyLike> | undefined;
  private token: { value: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;

  constructor(
    private readonly config: FcmConfig,
    private readonly secrets: FcmSecrets,
  ) {
    super(config, 50);
  }

  /**
   * An access token, from the cache while it has more than a minute left. `rejected` is a token the API just
   * refused: a new one is fetched unless another request already replaced it.
   */
  async accessToken(rejected?: string): Promise<string> {
    const cached = this.token;
    if (cached && cached.value !== rejected && cached.expiresAt - 60_000 > Date.now()) return cached.value;
    this.refreshing ??= this.fetchToken().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchToken(): Promise<string> {
    const account = this.secrets.serviceAccount;
    this.key ??= importPKCS8(account.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(account.client_email)
      .setAudience(account.token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await this.key);
    const res = await this.http.send(account.token_uri, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    const body = json<{ access_token?: string; expires_in?: number; error?: string }>(res.text);
    if (res.status !== 200 || !body?.access_token) {
      // The OAuth error code only when it is one of RFC 6749's (the rest of the answer goes nowhere).
      const code = OAUTH_ERRORS.has(body?.error ?? '') ? body?.error : undefined;
      throw new NotSentError(`token endpoint answered HTTP ${res.status}${code ? ` ${code}` : ''}`);
    }
    this.token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return body.access_token;
  }

  protected async sendOne(m: OutboundMessage, rejected?: string): Promise<SendOutcome> {
    const token = await this.accessToken(rejected);
    const res = await this.http.send(`${this.config.baseUrl.replace(/\/$/, '')}/v1/projects/${this.config.projectId}/messages:send`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          token: m.to,
          notification: { ...(m.subject ? { title: m.subject } : {}), body: m.body },
          data: { campaignId: m.campaignId, deliveryId: String(m.deliveryId) },
        },
      }),
    });
    if (res.status === 200) {
      const name = json<{ name?: string }>(res.text)?.name;
      return { status: 'accepted', providerMessageId: name ?? `fcm/${m.deliveryId}` };
    }
    if (res.status === 401 && rejected === undefined) return this.sendOne(m, token);
    const body = json<FcmError>(res.text)?.error;
    const code = body?.details?.find((d) => d.errorCode)?.errorCode ?? body?.status;
    const error = `fcm: HTTP ${res.status} ${code ?? ''} ${body?.message ?? ''}`.replace(/\s+/g, ' ').trim();
    // UNREGISTERED (404): the app instance is gone, so its token is suppressed. INVALID_ARGUMENT may be the payload.
    return failure(res, error, code === 'UNREGISTERED');
  }
}
