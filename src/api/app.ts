/** Builds the Express app from its dependencies; `listen` is the caller's business (tests use supertest). */
import type { Client } from '@temporalio/client';
import express from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type ApiSettings } from '../config';
import { HEALTH_PATH, READY_PATH, readiness } from '../observability/health';
import { log } from '../observability/log';
import { requestSpans, type Tracing } from '../observability/tracing';
import { registry, bearerIs } from '../observability/metrics';
import type { Store } from '../store/store';
import { campaignWorkflowId } from '../workflows/definitions';
import { accountRoutes } from './account/account.routes';
import { BrakeService } from './account/brake.service';
import { audienceRoutes } from './audiences/audiences.routes';
import { campaignRoutes } from './campaigns/campaigns.routes';
import { consoleRoutes, favicon } from './console';
import { docsRoutes } from './docs';
import { CampaignService } from './campaigns/campaigns.service';
import { contactRoutes } from './contacts/contacts.routes';
import { eventRoutes } from './events/events.routes';
import { providerRoutes } from './providers/providers.routes';
import { ProviderService } from './providers/providers.service';
import { receiptRoutes } from './receipts/receipts.routes';
import { unsubscribeRoutes } from './unsubscribe';
import { authenticate } from './middleware/auth';
import { cors } from './middleware/cors';
import { errorHandler } from './middleware/errors';
import { rateLimitPerAccount, requestId, requestIdOf, securityHeaders } from './middleware/security';
import { keyRoutes } from './keys/keys.routes';
import { RouteTable } from './route';

/** What the API is built from. */
export interface AppDeps {
  store: Store;
  temporal: Client;
  settings: ApiSettings;
  /** Where unexpected errors go, with the request's id (default: the structured log, type and message only). */
  log?: (err: unknown, context: { requestId: string }) => void;
  /** The request log (default: the process's logger). */
  logger?: Logger;
  /** How long the brake waits for each campaign's workflow to answer (default 10 s). */
  brakeAnswerWithinMs?: number;
  /** Check every answer against its route's documented response schema (a mismatch is a 500): for tests. */
  checkResponses?: boolean;
  /** A span per request when tracing is on (see observability/tracing). */
  tracing?: Tracing | undefined;
}

/** What the OpenAPI document says about the API as a whole. */
export const API_INFO = {
  title: 'Herald API',
  version: '1',
  description: 'Campaign delivery with an emergency brake. Every /v1 route takes an API key as a Bearer token; the reference is at /docs.',
};

/** Every /v1 route, wired to the services built from `deps`. */
function routeTable(deps: AppDeps): RouteTable {
  const routes = new RouteTable();
  contactRoutes(routes, deps.store);
  audienceRoutes(routes, deps.store);
  campaignRoutes(routes, new CampaignService(deps));
  eventRoutes(routes, deps.store);
  accountRoutes(routes, new BrakeService({ ...deps, ...(deps.brakeAnswerWithinMs ? { answerWithinMs: deps.brakeAnswerWithinMs } : {}) }));
  providerRoutes(
    routes,
    new ProviderService({
      store: deps.store,
      secretsKey: deps.settings.secretsKey,
      publicUrl: receiptsBase(deps.settings),
      ...(deps.settings.egress ? { egress: deps.settings.egress } : {}),
    }),
  );
  keyRoutes(routes, deps.store);
  return routes;
}

/**
 * The API's OpenAPI document without a running Herald (for the client generator): the routes are only described,
 * so no handler runs and the services get no store or Temporal client.
 */
export function apiDocument(): Record<string, unknown> {
  const none = undefined as never;
  return routeTable({ store: none, temporal: none, settings: {} as ApiSettings }).openapi(API_INFO);
}

/** Creates the Herald REST API. */
export function createApp(deps: AppDeps): express.Express {
  const routes = routeTable(deps);
  const openapi = routes.openapi(API_INFO);

  const app = express();
  app.disable('x-powered-by');
  const logger = deps.logger ?? log;
  if (deps.tracing) app.use(requestSpans());
  app.use(requestId(), requestLog(logger), securityHeaders(), cors(deps.settings.corsOrigins ?? []));
  // Liveness (the process answers) and readiness (the store and Temporal answer): see observability/health.
  for (const path of ['/health', HEALTH_PATH]) {
    app.get(path, (_req, res) => {
      res.json({ ok: true });
    });
  }
  app.get(READY_PATH, async (_req, res) => {
    const result = await readiness([
      ['store', () => deps.store.ping()],
      ['temporal', () => deps.temporal.workflowService.getSystemInfo({})],
    ]);
    res.status(result.ready ? 200 : 503).json(result);
  });
  // Every account's volumes: only for the operator's scraper, with METRICS_TOKEN; not served without one.
  app.get('/metrics', async (req, res) => {
    const token = deps.settings.metricsToken;
    if (!token) {
      res.status(404).json({ error: { code: 'not_found', message: '/metrics is served only with METRICS_TOKEN set' } });
      return;
    }
    if (!bearerIs(req.header('authorization'), token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'unauthorized', message: 'send Authorization: Bearer <METRICS_TOKEN>' } });
      return;
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  // Log lines of a campaign's requests carry its id and its workflow's.
  app.use(['/v1/campaigns/:id', '/v1/planned/:id'], (req, res, next) => {
    const id = (req.params as { id: string }).id;
    Object.assign(res.locals, { campaignId: id, workflowId: campaignWorkflowId(id) });
    next();
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/favicon.ico', favicon);
  const serves = deps.settings.routes ?? 'all';
  const end = [notFound, errorHandler(deps.log ?? ((err, { requestId }) => logger.error({ err, reqId: requestId }, 'request failed')))];
  if (serves !== 'control') {
    app.use(
      receiptRoutes({
        store: deps.store,
        secretsKey: deps.settings.secretsKey,
        publicUrl: receiptsBase(deps.settings),
        logger,
        ...(deps.settings.trustedSnsOrigins ? { trustedSnsOrigins: deps.settings.trustedSnsOrigins } : {}),
        ...(deps.settings.receiptRateLimitPerMinute ? { perMinute: deps.settings.receiptRateLimitPerMinute } : {}),
      }),
    );
  }
  if (serves === 'receipts') return app.use(end);
  app.use(unsubscribeRoutes(deps.store, deps.settings.secretsKey));
  // The console's files are public (no secrets in them); every API call it makes carries the operator's key.
  app.use('/console', consoleRoutes());
  // The API reference over /openapi.json (public, as the document is).
  app.use('/docs', docsRoutes());
  const v1 = express.Router();
  // Bodies are parsed per route (after authentication), within each route's size limit: see RouteTable.mount.
  v1.use(authenticate(deps.store, deps.settings.authFailuresPerMinute));
  v1.use(rateLimitPerAccount(deps.store, deps.settings.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE));
  routes.mount(v1, { checkResponses: deps.checkResponses === true });
  app.use(v1);
  return app.use(end);
}

/** The answer to a request no route took. */
const notFound: express.RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
};

/** The public base URL receipt routes are reached at. */
function receiptsBase(settings: ApiSettings): string {
  return (settings.receiptsUrl ?? settings.publicUrl ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
}

/**
 * One log line per request, with its id (see `requestId`), status and time, and the account,
 * campaign and workflow it concerned. Successful reads (a console polls) log at debug.
 */
function requestLog(logger: Logger): express.RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => requestIdOf(req as express.Request),
    customLogLevel: (req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : req.method === 'GET' ? 'debug' : 'info',
    // One short line per request for people (the fields stay for JSON logs): "POST /v1/campaigns/cmp_1/send 202 in 35 ms".
    customSuccessMessage: (req, res, ms) => `${req.method} ${req.url} ${res.statusCode} in ${Math.round(ms)} ms`,
    customErrorMessage: (req, res, err) => `${req.method} ${req.url} ${res.statusCode}: ${err.message}`,
    customProps: (_req, res) => {
      const { accountId, campaignId, workflowId } = res.locals as Record<string, string | undefined>;
      return { accountId, campaignId, workflowId };
    },
    serializers: {
      err: (err: Error) => ({ type: err.name, message: err.message }),
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
