/**
 * A local FCM HTTP v1 service with its OAuth2 token endpoint. The token endpoint verifies the service account's
 * signed JWT assertion (RS256, issuer, audience, scope, expiry) against the account's public key and issues
 * short-lived access tokens; `messages:send` requires one of them and checks the message's shape. Chosen device
 * tokens are UNREGISTERED (404). Faults: 5xx, 429 with Retry-After, hanging requests.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A push the emulator accepted. */
export interface FcmMessage {
  name: string;
  token: string;
  title?: string;
  body: string;
  data: Record<string, string>;
}

/** A running FCM emulator. */
export interface FcmEmulator {
  baseUrl: string;
  projectId: string;
  /** The service account JSON a Firebase console would hand out, pointing at this token endpoint. */
  serviceAccount: { type: string; client_email: string; private_key: string; token_uri: string };
  messages: FcmMessage[];
  /** Device tokens answered with UNREGISTERED. */
  unregistered: Set<string>;
  /** Access tokens issued, and how many sends came with no valid one. */
  tokensIssued: number;
  rejectedAuth: number;
  /** Lifetime of issued access tokens. */
  tokenTtlSeconds: number;
  faults: Faults;
  /** Invalidates every access token issued so far (as a key rotation would). */
  revokeTokens(): void;
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startFcmEmulator(): Promise<FcmEmulator> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const verifyKey = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
  const projectId = 'herald-test';
  const tokens = new Map<string, number>();
  const state = {
    messages: [] as FcmMessage[],
    unregistered: new Set<string>(),
    tokensIssued: 0,
    rejectedAuth: 0,
    tokenTtlSeconds: 3600,
    faults: new Faults(),
  };
  let baseUrl = '';
  const clientEmail = `herald@${projectId}.iam.gserviceaccount.com`;

  const server = await startLocalServer(async (req, res, rawBody) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const raw = rawBody.toString();
    if (req.method === 'POST' && req.url === '/token') {
      const params = new URLSearchParams(raw);
      if (params.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return reply(400, { error: 'unsupported_grant_type' });
      try {
        const { payload } = await jwtVerify(params.get('assertion') ?? '', verifyKey, {
          issuer: clientEmail,
          audience: `${baseUrl}/token`,
          algorithms: ['RS256'],
        });
        if (payload.scope !== 'https://www.googleapis.com/auth/firebase.messaging') return reply(400, { error: 'invalid_scope' });
      } catch (err) {
        return reply(400, { error: 'invalid_grant', error_description: (err as Error).message });
      }
      const token = `ya29.${randomBytes(24).toString('base64url')}`;
      tokens.set(token, Date.now() + state.tokenTtlSeconds * 1000);
      state.tokensIssued++;
      return reply(200, { access_token: token, expires_in: state.tokenTtlSeconds, token_type: 'Bearer' });
    }
    if (req.method === 'POST' && req.url === `/v1/projects/${projectId}/messages:send`) {
      const faulted = state.faults.play(
        () => req.socket.destroy(),
        (status, headers) => reply(status, { error: { code: status, status: 'UNAVAILABLE', message: 'injected fault' } }, headers),
      );
      if (faulted) return;
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expires = bearer ? tokens.get(bearer) : undefined;
      if (!expires || expires < Date.now()) {
        state.rejectedAuth++;
        return reply(401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' } });
      }
      const message = (JSON.parse(raw) as { message?: { token?: unknown; notification?: { title?: unknown; body?: unknown }; data?: Record<string, unknown> } })
        .message;
      const invalid = (why: string) => reply(400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: why } });
      if (!message || typeof message.token !== 'string' || message.token.length === 0) return invalid('message.token is required');
      if (typeof message.notification?.body !== 'string') return invalid('message.notification.body must be a string');
      if (message.data && Object.values(message.data).some((v) => typeof v !== 'string')) return invalid('message.data values must be strings');
      if (state.unregistered.has(message.token)) {
        return reply(404, {
          error: {
            code: 404,
            status: 'NOT_FOUND',
            message: 'Requested entity was not found.',
            details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
          },
        });
      }
      const name = `projects/${projectId}/messages/${randomBytes(8).toString('hex')}`;
      state.messages.push({
        name,
        token: message.token,
        ...(typeof message.notification.title === 'string' ? { title: message.notification.title } : {}),
        body: message.notification.body,
        data: (message.data ?? {}) as Record<string, string>,
      });
      return reply(200, { name });
    }
    return reply(404, { error: { code: 404, message: `no route ${req.method} ${req.url}` } });
  });
  baseUrl = server.origin;
  return Object.assign(state, {
    baseUrl,
    projectId,
    serviceAccount: {
      type: 'service_account',
      client_email: clientEmail,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token_uri: `${baseUrl}/token`,
    },
    revokeTokens: () => tokens.clear(),
    close: server.close,
  });
}
