/** The Herald worker: runs campaign workflows and their activities. `npm run worker` runs it alone. */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { SlotShare } from './activities/share';
import { installLogging } from './observability/log';
import { HEALTH_PATH, READY_PATH, readiness } from './observability/health';
import { bearerIs, registry } from './observability/metrics';
import { startTracing, tracedRegistry, workerTracing, type Tracing } from './observability/tracing';
import { DEFAULT_BATCH_TIME_BUDGET_MS, egressPolicy, loadConfig, notSentChunk, publicUrl, secretsKey, type Config } from './config';
import type { ProviderRegistry } from './providers/provider';
import { createProviderRegistry, defaultProvider } from './providers/registry';
import { openStore, type Store } from './store';
import { unsubscribeToken } from './unsubscribe';

/** The most often a worker passes an activity's heartbeats on to the server. */
const HEARTBEAT_THROTTLE = '1s';

/** Everything a worker is built from. */
export interface WorkerDeps {
  connection: NativeConnection;
  store: Store;
  providers: ProviderRegistry;
  config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TASK_QUEUE' | 'CHUNK_SIZE' | 'MAX_SEND_ATTEMPTS' | 'WORKER_MAX_ACTIVITIES'> &
    Partial<Pick<Config, 'NOT_SENT_CHUNK' | 'BATCH_TIME_BUDGET_MS' | 'DATABASE_URL'>>;
  /** A prebuilt workflow bundle (tests bundle once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where emails' one-click unsubscribe links point (the API's public URL) and the key that signs them. */
  unsubscribe?: { baseUrl: string; key: Buffer };
  /** OpenTelemetry (see observability/tracing); a prebuilt bundle must then include WORKFLOW_TRACING_MODULE. */
  tracing?: Tracing | undefined;
}

/**
 * What a worker sends with, from the configuration: each account's configured providers (else the default,
 * sandbox or webhook) and the signer of unsubscribe links; `key` is the secrets key (see `secretsKey`).
 */
export function workerSending(config: Config, store: Store, key: Buffer): Pick<WorkerDeps, 'providers' | 'unsubscribe'> {
  return {
    providers: createProviderRegistry(defaultProvider(config), { store, secretsKey: key, egress: egressPolicy(config) }),
    unsubscribe: { baseUrl: publicUrl(config), key },
  };
}

/** Creates a worker (not yet running). */
export function createWorker({ connection, store, providers, config, workflowBundle, unsubscribe, tracing }: WorkerDeps): Promise<Worker> {
  const traced = workerTracing(tracing);
  return Worker.create({
    ...traced,
    // A prebuilt bundle carries its workflow interceptors already (the worker refuses them twice).
    ...(traced.interceptors && workflowBundle ? { interceptors: { ...traced.interceptors, workflowModules: [] } } : {}),
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({
      store,
      sendStore: store.sending,
      providers: tracedRegistry(providers, tracing),
      notSentChunk: notSentChunk(config),
      share: new SlotShare(config.WORKER_MAX_ACTIVITIES, config.BATCH_TIME_BUDGET_MS ?? DEFAULT_BATCH_TIME_BUDGET_MS),
      send: {
        chunkSize: config.CHUNK_SIZE,
        maxAttempts: config.MAX_SEND_ATTEMPTS,
        ...(unsubscribe
          ? { unsubscribeUrl: (target) => `${unsubscribe.baseUrl}/unsubscribe/${unsubscribeToken(unsubscribe.key, target)}` }
          : {}),
      },
    }),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_ACTIVITIES,
    // A heartbeat reaches the server once a second at most per activity: well inside the 10 s heartbeat timeout that
    // finds a lost worker. A pause, stop or brake does not wait for the cancel a heartbeat's response brings: a batch
    // stops starting messages as soon as its worker sees the campaign closed in the store (./activities/closed),
    // and the workflow ends its pass once the store shows nothing on the wire. (At 50 ms, the heartbeats cost the
    // Temporal server a third of its CPU while sending.)
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
}

/**
 * The workflow bundle a worker loads: WORKFLOW_BUNDLE, else the one `npm run build` wrote beside the compiled
 * worker (dist/workflow-bundle.js), else none (the workflows are bundled from source at start).
 */
export function prebuiltWorkflowBundle(config: Pick<Config, 'WORKFLOW_BUNDLE'>): WorkerOptions['workflowBundle'] | undefined {
  if (config.WORKFLOW_BUNDLE) return { codePath: config.WORKFLOW_BUNDLE };
  const built = path.join(__dirname, 'workflow-bundle.js');
  return existsSync(built) ? { codePath: built } : undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const temporalMetricsPort = temporalMetricsPortOf(config);
  installLogging(config.LOG_LEVEL, temporalMetricsPort ? { metricsPort: temporalMetricsPort } : {});
  if (!config.DATABASE_URL) throw new Error('npm run worker needs DATABASE_URL (the embedded store runs in `npm start`)');
  const store = await openStore({ databaseUrl: config.DATABASE_URL });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const sending = workerSending(config, store, secretsKey(config));
  const workflowBundle = prebuiltWorkflowBundle(config);
  const tracing = startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? 'herald-worker', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  try {
    const worker = await createWorker({
      connection,
      store,
      ...sending,
      config,
      tracing,
      ...(workflowBundle ? { workflowBundle } : {}),
    });
    const metrics = config.METRICS_PORT
      ? serveWorkerHttp(config.METRICS_PORT, config.METRICS_HOST, {
          temporalMetricsPort,
          token: config.METRICS_TOKEN,
          ready: () =>
            readiness([
              ['worker', async () => {
                if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
              }],
              ['store', () => store.ping()],
            ]),
        })
      : undefined;
    // A plain banner whatever the log level: scripts wait for it.
    console.log(
      `herald worker on task queue ${config.TASK_QUEUE} at ${config.TEMPORAL_ADDRESS}` +
        `${metrics ? `, metrics, ${HEALTH_PATH} and ${READY_PATH} on ${config.METRICS_HOST}:${config.METRICS_PORT}` : ''}`,
    );
    try {
      await worker.run();
    } finally {
      metrics?.close();
    }
  } finally {
    await connection.close();
    await sending.providers.close();
    await store.close();
    await tracing?.shutdown();
  }
}

/** Where the Temporal SDK's metrics are exported: TEMPORAL_METRICS_PORT, else METRICS_PORT + 1 (none without METRICS_PORT). */
export function temporalMetricsPortOf(config: Pick<Config, 'METRICS_PORT' | 'TEMPORAL_METRICS_PORT'>): number | undefined {
  if (!config.METRICS_PORT) return undefined;
  return config.TEMPORAL_METRICS_PORT ?? config.METRICS_PORT + 1;
}

/**
 * Serves the worker's HTTP port: /metrics (Herald's metrics, then the Temporal SDK's, read from its exporter),
 * /healthz (the process answers) and /readyz (polling, and the store answers; 503 with the failed check if not).
 */
export function serveWorkerHttp(
  port: number,
  host: string,
  opts: { temporalMetricsPort?: number | undefined; token?: string | undefined; ready: () => Promise<{ ready: boolean; checks: Record<string, string> }> },
) {
  return createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === HEALTH_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    } else if (url === READY_PATH) {
      opts.ready().then(
        (r) => res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        (err: unknown) => res.writeHead(503).end(String(err)),
      );
    } else if (url === '/metrics' && opts.token && !bearerIs(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    } else if (url === '/metrics') {
      Promise.all([registry.metrics(), opts.temporalMetricsPort ? temporalMetrics(opts.temporalMetricsPort) : '']).then(
        ([herald, temporal]) => res.writeHead(200, { 'content-type': registry.contentType }).end(`${herald}\n${temporal}`),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  }).listen(port, host);
}

/** The Temporal SDK's metrics in Prometheus text (empty, with a comment, when its exporter does not answer). */
async function temporalMetrics(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return await res.text();
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
