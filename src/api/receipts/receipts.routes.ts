/**
 * Public receipt routes, one per provider kind and account: `POST /receipts/<kind>/<token>`, where the token is
 * the account's unguessable path (shown in GET /v1/providers as `receiptUrl`). No API key: the provider's own
 * signature, checked by the kind's receipt scheme, is the authority. A request that fails verification gets
 * 401/403 and changes nothing; a body that cannot be read gets 400; a verified one gets 200 whether or not its
 * messages are known (the answer never says), and the same event twice counts once. Rate-limited per route.
 */
import express, { type Request, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { HttpClient } from '../../providers/http';
import { unseal } from '../../providers/secrets';
import { RECEIPT_SCHEMES } from '../../receipts';
import { ReceiptBatcher } from '../../receipts/batcher';
import { MAILGUN_SIGNATURE_MAX_AGE_MS } from '../../receipts/mailgun';
import { ReceiptMalformed, ReceiptRefused } from '../../receipts/scheme';
import type { Store } from '../../store/store';

/** The largest receipt body accepted (SendGrid posts up to a few thousand events at once). */
export const RECEIPT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Requests per minute each receipt route takes unless configured: providers post in bursts. */
export const DEFAULT_RECEIPT_RATE_PER_MINUTE = 60_000;
/** How often, at most, one account's older unmatched receipts are looked at again. */
const SWEEP_EVERY_MS = 2_000;
/**
 * How long a route's account and provider settings are taken from memory: a provider that posts one event per
 * request (Twilio's status callbacks, 2 per SMS) would otherwise cost two lookups per event. Settings saved since are
 * seen at once by a request they refuse (it looks again), by every request after this long.
 */
const ROUTE_CACHE_MS = 2_000;

/** What a receipt route's token leads to: its account and the settings of its provider kind (secrets unsealed). */
interface ReceiptRoute {
  accountId: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  /** The settings as stored, to tell whether a fresh look found other ones. */
  version: string;
}

/** What the receipt routes need. */
export interface ReceiptRouteDeps {
  store: Store;
  secretsKey: Buffer;
  /** The public base URL providers call (Twilio signs the full URL). */
  publicUrl: string;
  /** Origins trusted besides AWS for SNS certificates and confirmations (tests' emulator). */
  trustedSnsOrigins?: readonly string[];
  perMinute?: number;
  logger: Logger;
}

/**
 * Matches, every `everyMs`, receipts that came before Herald recorded their send (a later pass, so a receipt that
 * raced its send is counted even when no other receipt of the account follows), and forgets signature tokens too
 * old to be accepted. Returns a stop function.
 */
export function startReceiptMatcher(store: Store, logger: Logger, everyMs = 5_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      await store.receipts.expireTokens(new Date(Date.now() - MAILGUN_SIGNATURE_MAX_AGE_MS));
      for (const accountId of await store.receipts.accountsWithPending()) {
        const matched = await store.receipts.matchPending(accountId);
        if (matched > 0) logger.info({ accountId, matched }, 'receipts matched to sends recorded after them');
      }
    })()
      .catch((err: unknown) => logger.warn({ err }, 'matching pending receipts failed'))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The receipt path of an account's route for `kind`. */
export function receiptPath(kind: string, token: string): string {
  return `/receipts/${kind}/${token}`;
}

/** The receipt routes. */
export function receiptRoutes(deps: ReceiptRouteDeps): Router {
  const router = express.Router();
  const http = new HttpClient({ connections: 4, timeoutMs: 10_000 });
  const lastSweep = new Map<string, number>();
  const batcher = new ReceiptBatcher((accountId, kind, receipts) => deps.store.receipts.ingest(accountId, kind, receipts), deps.logger);
  const perMinute = deps.perMinute ?? DEFAULT_RECEIPT_RATE_PER_MINUTE;
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${String(req.params.kind)}/${String(req.params.token)}`,
    handler: (_req, res) => {
      res.status(429).json({ error: { code: 'rate_limited', message: `more than ${perMinute} receipt requests a minute on this route` } });
    },
  });
  const raw = express.raw({ type: () => true, limit: RECEIPT_BODY_LIMIT_BYTES });
  const body: express.RequestHandler = (req, res, next) => {
    raw(req, res, (err?: unknown) => {
      if (err) {
        const large = (err as { type?: string }).type === 'entity.too.large';
        res.status(400).json({ error: { code: 'invalid_input', message: large ? `body larger than ${RECEIPT_BODY_LIMIT_BYTES} bytes` : 'body cannot be read' } });
      } else next();
    });
  };
  const answer = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  // Keyed by kind and token; concurrent requests of a route share one look (`fetch`), and unknown routes are kept
  // too (`route: null`), so requests to made-up tokens cost one look per 2 s. A request the settings refuse costs
  // a look of its own (see below).
  const routes = new LRUCache<string, { route: ReceiptRoute | null }>({
    max: 10_000,
    ttl: ROUTE_CACHE_MS,
    fetchMethod: async (key) => {
      const [kind, token] = key.split('/') as [string, string];
      const accountId = await deps.store.receipts.accountOfEndpoint(kind, token);
      const settings = accountId ? (await deps.store.listProviderSettings(accountId)).find((s) => s.kind === kind) : undefined;
      if (!accountId || !settings) return { route: null };
      const secrets = settings.sealedSecrets ? unseal<Record<string, unknown>>(settings.sealedSecrets, deps.secretsKey) : {};
      return { route: { accountId, config: settings.config, secrets, version: JSON.stringify([settings.config, settings.sealedSecrets ?? null]) } };
    },
  });
  const routeOf = async (kind: string, token: string, fresh = false) =>
    (await routes.fetch(`${kind}/${token}`, { forceRefresh: fresh }))?.route ?? null;

  router.post('/receipts/:kind/:token', limiter, body, async (req: Request<{ kind: string; token: string }>, res) => {
    const { kind, token } = req.params;
    const scheme = Object.hasOwn(RECEIPT_SCHEMES, kind) ? RECEIPT_SCHEMES[kind] : undefined;
    const route = scheme && /^[\w-]{16,100}$/.test(token) ? await routeOf(kind, token) : null;
    if (!scheme || !route) return answer(res, 404, 'not_found', 'no such receipt route');
    const { accountId } = route;
    res.locals.accountId = accountId;
    const verify = (r: ReceiptRoute) =>
      scheme.verify(
        { url: deps.publicUrl + req.originalUrl, headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) },
        {
          config: r.config,
          secrets: r.secrets,
          trustedSnsOrigins: deps.trustedSnsOrigins ?? [],
          now: new Date(),
          bindToken: (t, eventId, signedAt) => deps.store.receipts.bindToken(accountId, kind, t, eventId, signedAt),
          fetchText: async (url) => {
            const r = await http.send(url, { method: 'GET' });
            return { status: r.status, text: r.text };
          },
        },
      );
    let verified;
    try {
      // Refused by settings from memory: settings saved since (a new auth token) are looked up before the answer.
      verified = await verify(route).catch(async (err: unknown) => {
        const now = err instanceof ReceiptRefused ? await routeOf(kind, token, true) : null;
        if (!now || now.version === route.version || now.accountId !== accountId) throw err;
        return verify(now);
      });
    } catch (err) {
      if (err instanceof ReceiptRefused) return answer(res, err.status, err.status === 401 ? 'unauthorized' : 'forbidden', err.message);
      if (err instanceof ReceiptMalformed) return answer(res, 400, 'invalid_input', err.message);
      throw err;
    }
    // With those of concurrent requests of the account and kind: one statement for many one-event requests.
    await batcher.add(accountId, kind, verified.receipts);
    // Receipts that came before their send was recorded are matched by a later request's pass.
    const now = Date.now();
    if (now - (lastSweep.get(accountId) ?? 0) >= SWEEP_EVERY_MS) {
      lastSweep.set(accountId, now);
      const later = await deps.store.receipts.matchPending(accountId);
      if (later > 0) deps.logger.info({ accountId, kind, matchedLater: later }, 'receipts matched to sends recorded after them');
    }
    if (verified.note) deps.logger.info({ accountId, kind, note: verified.note }, 'receipts: noted');
    // The same answer whether or not the messages are known.
    res.json({ ok: true });
  });
  return router;
}
