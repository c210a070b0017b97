/** Herald's configuration, parsed once from the environment. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowedHosts, type EgressPolicy } from './providers/egress';
import type { StoreLocation } from './store';
import { DEFAULT_SEND_OPTIONS, TASK_QUEUE, type SendOptions } from './workflows/definitions';

/**
 * Requests per minute per account unless RATE_LIMIT_PER_MINUTE says: generous (100 a second) so tests, the
 * benchmark and a console polling every second never meet it; it stops a runaway client.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/** How long a send batch may hold a slot of a full worker before it yields to others (see src/activities/share.ts). */
export const DEFAULT_BATCH_TIME_BUDGET_MS = 5_000;

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ConfigSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  HERALD_DATA_DIR: z.string().default(path.resolve('.herald')),
  /** Where the embedded store's PGlite runs: its own worker thread (default), or `inline` on the main thread. */
  EMBEDDED_ENGINE: z.enum(['thread', 'inline']).default('thread'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
  TASK_QUEUE: z.string().default(TASK_QUEUE),
  /** The worker's log level: TRACE, DEBUG, INFO, WARN or ERROR. */
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  /**
   * The bearer token Prometheus must send for `/metrics` (API, and a worker's METRICS_PORT): metrics show every
   * account's volumes, so the API serves none without it.
   */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * A worker run alone (`npm run worker`) serves its Prometheus metrics (Herald's and the Temporal SDK's) and its
   * /healthz and /readyz on this port; 0 = not at all.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** The address the worker's metrics and health port listens on (0.0.0.0 in a container, for probes and scrapes). */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /**
   * Where the Temporal SDK's own Prometheus exporter listens, on 127.0.0.1 (the worker's /metrics serves its
   * metrics beside Herald's): METRICS_PORT + 1 unless set.
   */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Log lines as JSON (the default, for production) or `pretty` for people (npm start's default). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /**
   * Browser origins allowed to call the API (CORS), comma-separated, e.g. `https://app.example.com`; `*` allows any.
   * Empty (the default): no CORS headers, only same-origin pages (the console) call it.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o !== '')),
  /** OpenTelemetry: traces go by OTLP/HTTP to this endpoint (e.g. http://otel-collector:4318); unset = no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** The service name on traces (OpenTelemetry's variable). */
  OTEL_SERVICE_NAME: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Deliveries per send activity (one lease). 2,000: an activity costs the Temporal server and the worker about 20 ms
   * of CPU, as much as sending some 90 messages, so leases of 500 spent a sixth of the send's CPU on activities. A
   * batch gives its worker slot back between chunks when another account waits (see BATCH_TIME_BUDGET_MS), so a
   * larger lease holds nobody up.
   */
  BATCH_SIZE: int(2_000),
  SEND_CONCURRENCY: int(DEFAULT_SEND_OPTIONS.concurrency),
  /**
   * Contacts planned into deliveries per statement: 5,000 on PostgreSQL, 1,000 on the embedded store, whose one
   * connection every API request and every stop's fence waits behind (see planPageSize).
   */
  PLAN_PAGE_SIZE: z.coerce.number().int().positive().optional(),
  CHUNK_SIZE: int(50),
  /**
   * Deliveries a stop's compensation marks notSent (with their events) per statement, after the answer: 20,000 on
   * PostgreSQL, 2,000 on the embedded store, whose one connection every API request waits behind (see notSentChunk).
   */
  NOT_SENT_CHUNK: z.coerce.number().int().positive().optional(),
  MAX_SEND_ATTEMPTS: int(10),
  WORKER_MAX_ACTIVITIES: int(32),
  /**
   * While every activity slot of a worker is taken, a send batch that has run this long, of an account holding at
   * least its share of the slots, ends after its current chunk and is scheduled again behind what waits.
   */
  BATCH_TIME_BUDGET_MS: int(DEFAULT_BATCH_TIME_BUDGET_MS),
  SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  SANDBOX_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** When set, every channel is POSTed to this URL (the webhook provider) instead of the in-process sandbox. */
  WEBHOOK_URL: z.string().url().optional(),
  /** Requests the webhook provider keeps in flight (and keep-alive connections it holds) per worker process. */
  WEBHOOK_CONCURRENCY: int(50),
  /** How long the webhook provider waits for an answer before the message is retried (same idempotency key). */
  WEBHOOK_TIMEOUT_MS: int(15_000),
  /** A prebuilt workflow bundle (see `bundleWorkflowCode`); workers bundle from source without one. */
  WORKFLOW_BUNDLE: z.string().optional(),
  /**
   * 32 bytes, base64: seals provider secrets and signs unsubscribe links. API and workers must share it.
   * Without it, a key is kept in HERALD_DATA_DIR/secrets-key (created on first use: fine for one machine).
   */
  SECRETS_KEY: z
    .string()
    .refine((k) => Buffer.from(k, 'base64').length === 32, 'must be 32 bytes, base64 (openssl rand -base64 32)')
    .optional(),
  /** The API's public base URL, for unsubscribe links in emails (default http://HOST:PORT). */
  PUBLIC_URL: z.string().url().optional(),
  /** Requests per minute each receipt route (one per account and provider kind) takes; beyond it 429. */
  RECEIPT_RATE_LIMIT_PER_MINUTE: int(60_000),
  /**
   * What `npm run api` serves: `all`; `control` (everything but the receipt routes); or `receipts` (only the
   * receipt routes and health), so that providers' traffic runs in processes of its own and never delays a stop.
   */
  API_ROUTES: z.enum(['all', 'control', 'receipts']).default('all'),
  /** The public base URL of the processes that take receipts (default PUBLIC_URL): receipt URLs are made on it. */
  RECEIPTS_URL: z.string().url().optional(),
  /** Comma-separated origins trusted besides AWS's SNS hosts for SNS signing certificates (a test emulator). */
  SNS_TRUSTED_ORIGINS: z.string().optional(),
  /**
   * Hosts (`host` or `host:port`) account-configured providers may reach even at a private, loopback or
   * link-local address, or over plain http: comma-separated (e.g. an in-house relay, or local emulators).
   */
  PROVIDER_ALLOWED_HOSTS: z.string().default(''),
  /** `development` lets providers use plain http to public hosts; anything else requires https. */
  NODE_ENV: z.string().optional(),
  /** Requests per minute each account may make to /v1 (all its keys, all API processes); beyond it 429. */
  RATE_LIMIT_PER_MINUTE: int(DEFAULT_RATE_LIMIT_PER_MINUTE),
  /** Failed authentications per minute per client address (all API processes); beyond it 429 for the minute. */
  AUTH_FAILURES_PER_MINUTE: int(30),
});

/** The key that seals provider secrets: SECRETS_KEY, else a key file in the data folder (created once). */
export function secretsKey(config: Pick<Config, 'SECRETS_KEY' | 'HERALD_DATA_DIR'>): Buffer {
  if (config.SECRETS_KEY) return Buffer.from(config.SECRETS_KEY, 'base64');
  const file = path.join(config.HERALD_DATA_DIR, 'secrets-key');
  if (!existsSync(file)) {
    mkdirSync(config.HERALD_DATA_DIR, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process on this machine made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

/** The public base URL of the API. */
export function publicUrl(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
}

/** Where account-configured providers may connect (see src/providers/egress.ts). */
export function egressPolicy(config: Pick<Config, 'PROVIDER_ALLOWED_HOSTS' | 'NODE_ENV'>): EgressPolicy {
  return { allowedHosts: parseAllowedHosts(config.PROVIDER_ALLOWED_HOSTS), allowHttp: config.NODE_ENV === 'development' };
}

/** Parsed configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Every environment variable Herald reads (deployment manifests are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape);

/** Parses `env`; throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** Contacts per audience page (PLAN_PAGE_SIZE unless set: 5,000 on PostgreSQL, 1,000 embedded). */
export function planPageSize(config: Pick<Config, 'PLAN_PAGE_SIZE' | 'DATABASE_URL'>): number {
  return config.PLAN_PAGE_SIZE ?? (config.DATABASE_URL ? DEFAULT_SEND_OPTIONS.pageSize : 1_000);
}

/** The compensation's notSent statement size (NOT_SENT_CHUNK unless set: 20,000 on PostgreSQL, 2,000 embedded). */
export function notSentChunk(config: Pick<Config, 'NOT_SENT_CHUNK' | 'DATABASE_URL'>): number {
  return config.NOT_SENT_CHUNK ?? (config.DATABASE_URL ? 20_000 : 2_000);
}

/** Where the store lives: PostgreSQL when DATABASE_URL is set, else the embedded store in the data folder. */
export function storeLocation(config: Config): StoreLocation {
  return config.DATABASE_URL
    ? { databaseUrl: config.DATABASE_URL }
    : { dataDir: path.join(config.HERALD_DATA_DIR, 'pglite'), engine: config.EMBEDDED_ENGINE };
}

/** What the API needs to know about Temporal and how to start campaigns. */
export interface ApiSettings {
  taskQueue: string;
  namespace: string;
  temporalUiUrl: string;
  sendOptions: SendOptions;
  /** Seals provider secrets; signs unsubscribe links. */
  secretsKey: Buffer;
  /** Requests per minute per account (DEFAULT_RATE_LIMIT_PER_MINUTE when absent). */
  rateLimitPerMinute?: number;
  /** The public base URL providers send receipts to (http://127.0.0.1:3000 when absent). */
  publicUrl?: string;
  /** Requests per minute per receipt route. */
  receiptRateLimitPerMinute?: number;
  /** The public base URL of the processes that take receipts (`publicUrl` when absent). */
  receiptsUrl?: string;
  /** Which routes this process serves (all when absent). */
  routes?: 'all' | 'control' | 'receipts';
  /** Origins trusted besides AWS for SNS signing certificates and subscription confirmations. */
  trustedSnsOrigins?: string[];
  /** Browser origins allowed to call the API (`*` for any); none when absent. */
  corsOrigins?: string[];
  /** Failed authentications per minute per client address (DEFAULT_AUTH_FAILURES_PER_MINUTE when absent). */
  authFailuresPerMinute?: number;
  /** The bearer token for /metrics; without it the API serves no metrics. */
  metricsToken?: string;
  /** Where account-configured providers may connect (nothing private, https only, when absent). */
  egress?: EgressPolicy;
}

/** The API settings from the configuration and the secrets key (see `secretsKey`). */
export function apiSettings(config: Config, key: Buffer): ApiSettings {
  return {
    taskQueue: config.TASK_QUEUE,
    namespace: config.TEMPORAL_NAMESPACE,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    sendOptions: { batchSize: config.BATCH_SIZE, concurrency: config.SEND_CONCURRENCY, pageSize: planPageSize(config) },
    secretsKey: key,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    publicUrl: publicUrl(config),
    receiptRateLimitPerMinute: config.RECEIPT_RATE_LIMIT_PER_MINUTE,
    ...(config.RECEIPTS_URL ? { receiptsUrl: config.RECEIPTS_URL } : {}),
    routes: config.API_ROUTES,
    trustedSnsOrigins: (config.SNS_TRUSTED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    corsOrigins: config.CORS_ORIGINS,
    authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    egress: egressPolicy(config),
  };
}
