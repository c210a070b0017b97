/** The Herald worker: runs campaign workflows and their activities. `npm run worker` runs it alone. */
import { createServer } from 'node:http';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { installLogging } from './observability/log';
import { bearerIs, registry } from './observability/metrics';
import { egressPolicy, loadConfig, publicUrl, secretsKey, type Config } from './config';
import type { ProviderRegistry } from './providers/provider';
import { createProviderRegistry, defaultProvider } from './providers/registry';
import { openStore, type Store } from './store';
import { unsubscribeToken } from './unsubscribe';

/** Everything a worker is built from. */
export interface WorkerDeps {
  connection: NativeConnection;
  store: Store;
  providers: ProviderRegistry;
  config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TASK_QUEUE' | 'CHUNK_SIZE' | 'MAX_SEND_ATTEMPTS' | 'WORKER_MAX_ACTIVITIES'>;
  /** A prebuilt workflow bundle (tests bundle once); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where emails' one-click unsubscribe links point (the API's public URL) and the key that signs them. */
  unsubscribe?: { baseUrl: string; key: Buffer };
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
export function createWorker({ connection, store, providers, config, workflowBundle, unsubscribe }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities({
      store,
      providers,
      send: {
        chunkSize: config.CHUNK_SIZE,
        maxAttempts: config.MAX_SEND_ATTEMPTS,
        ...(unsubscribe
          ? { unsubscribeUrl: (target) => `${unsubscribe.baseUrl}/unsubscribe/${unsubscribeToken(unsubscribe.key, target)}` }
          : {}),
      },
    }),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_ACTIVITIES,
    // Send activities heartbeat every 20 ms and the worker passes a heartbeat on at least every 50 ms, so a pause
    // or stop (delivered in a heartbeat's response) reaches a sending activity within about 50 ms.
    maxHeartbeatThrottleInterval: '50ms',
    defaultHeartbeatThrottleInterval: '50ms',
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  installLogging(config.LOG_LEVEL);
  if (!config.DATABASE_URL) throw new Error('npm run worker needs DATABASE_URL (the embedded store runs in `npm start`)');
  const store = await openStore({ databaseUrl: config.DATABASE_URL });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const sending = workerSending(config, store, secretsKey(config));
  try {
    const worker = await createWorker({
      connection,
      store,
      ...sending,
      config,
      ...(config.WORKFLOW_BUNDLE ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE } } : {}),
    });
    const metrics = config.METRICS_PORT ? serveMetrics(config.METRICS_PORT, config.METRICS_TOKEN) : undefined;
    // A plain banner whatever the log level: scripts wait for it.
    console.log(`herald worker on task queue ${config.TASK_QUEUE} at ${config.TEMPORAL_ADDRESS}${metrics ? `, metrics on :${config.METRICS_PORT}/metrics` : ''}`);
    try {
      await worker.run();
    } finally {
      metrics?.close();
    }
  } finally {
    await connection.close();
    await sending.providers.close();
    await store.close();
  }
}

/** Serves this worker's Prometheus metrics at http://127.0.0.1:<port>/metrics (with METRICS_TOKEN, to its bearer only). */
function serveMetrics(port: number, token: string | undefined) {
  return createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (token && !bearerIs(req.headers.authorization, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  }).listen(port, '127.0.0.1');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
