/** Builds the Express app from its dependencies; `listen` is the caller's business (tests use supertest). */
import type { Client } from '@temporalio/client';
import express from 'express';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type ApiSettings } from '../config';
import type { Store } from '../store/store';
import { accountRoutes } from './account/account.routes';
import { BrakeService } from './account/brake.service';
import { audienceRoutes } from './audiences/audiences.routes';
import { campaignRoutes } from './campaigns/campaigns.routes';
import { CampaignService } from './campaigns/campaigns.service';
import { contactRoutes } from './contacts/contacts.routes';
import { eventRoutes } from './events/events.routes';
import { providerRoutes } from './providers/providers.routes';
import { ProviderService } from './providers/providers.service';
import { unsubscribeRoutes } from './unsubscribe';
import { authenticate } from './middleware/auth';
import { errorHandler } from './middleware/errors';
import { rateLimitPerKey, requestId, securityHeaders } from './middleware/security';
import { keyRoutes } from './keys/keys.routes';
import { RouteTable } from './route';

/** What the API is built from. */
export interface AppDeps {
  store: Store;
  temporal: Client;
  settings: ApiSettings;
  log?: (err: unknown, context: { requestId: string }) => void;
  /** How long the brake waits for each campaign's workflow to answer (default 10 s). */
  brakeAnswerWithinMs?: number;
  /** Check every answer against its route's documented response schema (a mismatch is a 500): for tests. */
  checkResponses?: boolean;
}

/** Creates the Herald REST API. */
export function createApp(deps: AppDeps): express.Express {
  const routes = new RouteTable();
  contactRoutes(routes, deps.store);
  audienceRoutes(routes, deps.store);
  campaignRoutes(routes, new CampaignService(deps));
  eventRoutes(routes, deps.store);
  accountRoutes(routes, new BrakeService({ ...deps, ...(deps.brakeAnswerWithinMs ? { answerWithinMs: deps.brakeAnswerWithinMs } : {}) }));
  providerRoutes(routes, new ProviderService({ store: deps.store, secretsKey: deps.settings.secretsKey }));
  keyRoutes(routes, deps.store);
  const openapi = routes.openapi({ title: 'Herald API', version: '1' });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestId(), securityHeaders());
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(unsubscribeRoutes(deps.store, deps.settings.secretsKey));
  const v1 = express.Router();
  // Bodies are parsed per route (after authentication), within each route's size limit: see RouteTable.mount.
  v1.use(authenticate(deps.store));
  v1.use(rateLimitPerKey(deps.settings.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE));
  routes.mount(v1, { checkResponses: deps.checkResponses === true });
  app.use(v1);
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(errorHandler(deps.log));
  return app;
}
