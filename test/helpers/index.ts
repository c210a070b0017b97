/** The one helpers module for tests: stores on both engines, a running Herald per test, seed data. */
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { installLogging } from '../../src/observability/log';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import type { EgressPolicy, ResolveAll } from '../../src/providers/egress';
import { createProviderRegistry } from '../../src/providers/registry';
import { SandboxProvider, type SandboxOptions } from '../../src/providers/sandbox';
import { openStore, type Store } from '../../src/store';
import { createWorker } from '../../src/worker';
import { DEFAULT_SEND_OPTIONS, type SendOptions } from '../../src/workflows/definitions';
import { eventType } from '../../src/domain/vocabulary';
import { createDatabase } from './database';

/** Store engines every store test runs against. */
export const STORE_KINDS = ['embedded', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let runtimeInstalled = false;
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    installLogging(process.env.LOG_LEVEL ?? 'SILENT', { core: false });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

/** A throwaway PostgreSQL database on TEST_DATABASE_URL's server: its URL, and how to drop it. */
export function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createDatabase(ADMIN_URL, 'herald_test');
}

/** A migrated store: PGlite in memory, or a throwaway PostgreSQL database dropped on close. */
export async function openTestStore(kind: StoreKind): Promise<Store> {
  if (kind === 'embedded') return openStore({ dataDir: undefined });
  const db = await createTestDatabase();
  const store = await openStore({ databaseUrl: db.url });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await db.drop();
  };
  return store;
}

/** A task queue of its own for each test, derived from its title. */
export function taskQueueFor(title: string): string {
  return `test-${title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${randomBytes(3).toString('hex')}`;
}

/** A running Herald for one test: a worker on its own task queue, the API app, a Temporal client. */
export interface TestHerald {
  store: Store;
  sandbox: SandboxProvider;
  client: Client;
  app: Express;
  taskQueue: string;
  /** Shuts the worker down (a worker process gone); `startWorker` brings a new one on the same task queue. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** The API alone, against the run's Temporal server, on a task queue of its own; workers come from elsewhere. */
export async function startApi(opts: {
  title: string;
  store: Store;
  sendOptions?: Partial<SendOptions>;
  brakeAnswerWithinMs?: number;
  /** Where the API's request log goes (nowhere unless said). */
  logger?: Logger;
  /** Origins trusted besides AWS for SNS certificates (the SES emulator's). */
  trustedSnsOrigins?: string[];
  /** Browser origins allowed by CORS (none unless said). */
  corsOrigins?: string[];
  /** PROVIDER_ALLOWED_HOSTS: hosts (local emulators) account-configured providers may reach; none unless said. */
  allowedHosts?: string[];
  /** How provider host names resolve (the machine's DNS unless a test plays a name server). */
  resolve?: ResolveAll;
  /** METRICS_TOKEN: /metrics is served to its bearer (not at all without it). */
  metricsToken?: string;
}) {
  quietRuntime();
  const taskQueue = taskQueueFor(opts.title);
  const secretsKey = randomBytes(32);
  const egress: EgressPolicy = { allowedHosts: opts.allowedHosts ?? [], ...(opts.resolve ? { resolve: opts.resolve } : {}) };
  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection });
  const app = createApp({
    store: opts.store,
    temporal: client,
    settings: {
      taskQueue,
      namespace: 'default',
      temporalUiUrl: 'http://127.0.0.1:8233',
      sendOptions: { ...DEFAULT_SEND_OPTIONS, ...opts.sendOptions },
      secretsKey,
      publicUrl: 'http://herald.test',
      ...(opts.trustedSnsOrigins ? { trustedSnsOrigins: opts.trustedSnsOrigins } : {}),
      ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}),
      egress,
      ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
    },
    // Quiet, except for an answer outside its documented schema (the test then sees a 500).
    log: (err) => {
      if (/outside its response schema/.test(String(err))) console.error(String(err));
    },
    // Every answer in every test is checked against the OpenAPI document's response schema.
    checkResponses: true,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.brakeAnswerWithinMs ? { brakeAnswerWithinMs: opts.brakeAnswerWithinMs } : {}),
  });
  return { app, client, taskQueue, secretsKey, egress, stop: () => connection.close() };
}

/** Starts a worker and builds the API against the run's Temporal server. */
export async function startHerald(opts: {
  title: string;
  store: Store;
  sandbox?: SandboxOptions;
  sendOptions?: Partial<SendOptions>;
  /** Messages per provider call (50 unless said). */
  chunkSize?: number;
  /** The worker's activity slots (16 unless said). */
  workerSlots?: number;
  /** BATCH_TIME_BUDGET_MS: how long a batch holds a slot of a full worker before it yields (5 s unless said). */
  batchTimeBudgetMs?: number;
  /** How long the brake waits for each workflow (10 s unless said). */
  brakeAnswerWithinMs?: number;
  logger?: Logger;
  trustedSnsOrigins?: string[];
  allowedHosts?: string[];
  resolve?: ResolveAll;
  metricsToken?: string;
}): Promise<TestHerald> {
  const { app, client, taskQueue, secretsKey, egress, stop } = await startApi(opts);
  const sandbox = new SandboxProvider(opts.sandbox);
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const providers = createProviderRegistry(sandbox, { store: opts.store, secretsKey, egress });
  let worker: { instance: Worker; running: Promise<void> } | undefined;
  const startWorker = async () => {
    const instance = await createWorker({
      connection: nativeConnection,
      store: opts.store,
      providers,
      unsubscribe: { baseUrl: 'http://herald.test', key: secretsKey },
      config: {
        TEMPORAL_NAMESPACE: 'default',
        TASK_QUEUE: taskQueue,
        CHUNK_SIZE: opts.chunkSize ?? 50,
        MAX_SEND_ATTEMPTS: 5,
        WORKER_MAX_ACTIVITIES: opts.workerSlots ?? 16,
        ...(opts.batchTimeBudgetMs ? { BATCH_TIME_BUDGET_MS: opts.batchTimeBudgetMs } : {}),
      },
      workflowBundle: { codePath: workflowBundlePath() },
    });
    worker = { instance, running: instance.run() };
  };
  const stopWorker = async () => {
    if (!worker) return;
    worker.instance.shutdown();
    await worker.running;
    worker = undefined;
  };
  await startWorker();
  return {
    store: opts.store,
    sandbox,
    client,
    app,
    taskQueue,
    stopWorker,
    startWorker,
    async stop() {
      await stopWorker();
      await providers.close();
      await nativeConnection.close();
      await stop();
    },
  };
}

/** The address of the Temporal dev server jest's global setup started. */
export function temporalAddress(): string {
  return requiredEnv('HERALD_TEST_TEMPORAL_ADDRESS');
}

/** The workflow bundle global setup built once for the run. */
export function workflowBundlePath(): string {
  return requiredEnv('HERALD_TEST_WORKFLOW_BUNDLE');
}

/** A new account and its API key. */
export async function newAccount(store: Store, name = 'Test'): Promise<{ accountId: string; apiKey: string; keyId: string }> {
  return store.createAccount(name);
}

/** Authenticated supertest calls. */
export function api(app: Express, apiKey: string) {
  const auth = { Authorization: `Bearer ${apiKey}` };
  return {
    get: (path: string) => request(app).get(path).set(auth),
    post: (path: string, body?: object) => request(app).post(path).set(auth).send(body),
    patch: (path: string, body?: object) => request(app).patch(path).set(auth).send(body),
    put: (path: string, body?: object) => request(app).put(path).set(auth).send(body),
    delete: (path: string) => request(app).delete(path).set(auth),
  };
}

/**
 * Creates an audience (`{type: 'list' | 'filter', ...}`) and a Draft campaign for it through the API; `fields`
 * are the campaign's other fields (name, channels, localTime, throttle, endAt). Returns the campaign id.
 */
export async function draftCampaign(app: Express, apiKey: string, audience: object, fields: { channels: object[]; name?: string } & Record<string, unknown>): Promise<string> {
  const http = api(app, apiKey);
  const created = await http.post('/v1/audiences', { name: 'audience', ...audience }).expect(201);
  const campaign = await http.post('/v1/campaigns', { name: 'campaign', audienceId: created.body.id, ...fields }).expect(201);
  expect(campaign.body.status).toBe('Draft');
  return campaign.body.id as string;
}

/** The receipt counts of a campaign no provider has reported on yet (campaign views carry them beside the counts). */
export const NO_RECEIPTS = { delivered: 0, undelivered: 0, bounced: 0, complained: 0, unsubscribed: 0 } as const;

/** `n` contacts with an email (and a phone for every second one), ids `c1..cn`. */
export function contacts(n: number, prefix = 'c') {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    email: `${prefix}${i + 1}@example.com`,
    ...(i % 2 === 0 ? { phone: `+1415555${String(i).padStart(4, '0')}` } : {}),
    attributes: { first_name: `Name${i + 1}`, n: i + 1 },
  }));
}

/** Every delivery of a campaign that ended notSent, and every notSent event of it, as `channel/contact` keys. */
export async function notSentRecords(store: Store, accountId: string, campaignId: string) {
  const deliveries: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listDeliveries(campaignId, { state: 'notSent', limit: 1000, ...(after ? { after } : {}) });
    deliveries.push(...page.items.map((d) => `${d.channel}/${d.contactId}`));
    if (!page.next) break;
    after = page.next;
  }
  const events: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listEvents(accountId, { campaignId, limit: 1000, ...(after ? { after } : {}) });
    for (const e of page.items) {
      if (e.type === eventType(e.channel, 'notSent')) events.push(`${e.channel}/${e.contactId}`);
    }
    if (!page.next) break;
    after = page.next;
  }
  return { deliveries: deliveries.sort(), events: events.sort() };
}

/** Polls `fn` until it returns a defined value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A campaign workflow's history (every run of it, from the first), one line an event: id, type, worker, activity or
 * marker or update, seconds, and a failed workflow task's message. For the message of a test that failed.
 */
export async function historyLines(client: Client, campaignId: string): Promise<string> {
  const workflowId = `campaign-${campaignId}`;
  const lines: string[] = [];
  let runId = (await client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
  while (runId) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const t0 = events[0] ? ms(events[0]) : 0;
    lines.push(`run ${runId}`);
    for (const e of events) {
      const a = Object.entries(e).find(([k]) => k.endsWith('Attributes'))?.[1] as
        | { identity?: string; activityType?: { name?: string }; acceptedRequest?: { input?: { name?: string } }; failure?: { message?: string } }
        | undefined;
      const what = a?.activityType?.name ?? localActivityOf(e) ?? a?.acceptedRequest?.input?.name ?? '';
      const type = temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '');
      lines.push([e.eventId, ((ms(e) - t0) / 1000).toFixed(3), type, a?.identity ?? '', what, a?.failure?.message ?? ''].join(' ').trimEnd());
    }
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lines.join('\n');
}

/** The activity type a local activity's marker records (undefined for any other event). */
export function localActivityOf(e: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  try {
    return data ? (JSON.parse(Buffer.from(data).toString()) as { activity_type?: string }).activity_type : undefined;
  } catch {
    return undefined;
  }
}

/** Polls the API until campaign `id` has ended (Finished or Error); returns it as GET returns it. */
export function campaignEnded(app: Express, apiKey: string, id: string) {
  return eventually(async () => {
    const res = await api(app, apiKey).get(`/v1/campaigns/${id}`);
    return ['Finished', 'Error'].includes(res.body.status) ? res.body : undefined;
  });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (global setup starts Temporal)`);
  return value;
}

/** Waits, when less than `needMs` of the current wall-clock minute is left, for the next one (rate limits count per minute). */
export async function withinOneMinuteWindow(needMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}
