/**
 * `npm start`'s API in a worker thread of its own: the REST API, the console and the receipt matcher answer on an
 * event loop that the send lanes and Temporal's worker on the main thread do not hold up (a stop's request and its
 * answer each waited 10-55 ms there behind a busy send). It is the API of `npm run api`, with the store reached
 * through the port the main thread gives it, and the main thread's metrics in its /metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { startReceiptMatcher } from '../api/receipts/receipts.routes';
import { apiSettings, loadConfig, secretsKey } from '../config';
import { log } from '../observability/log';
import { metricsWith, type MetricsJson } from '../observability/metrics';
import { clientInterceptors, startTracing } from '../observability/tracing';
import { openStore, type StoreLocation } from '../store';

/** What the thread is started with. */
export interface ApiThreadData {
  store: StoreLocation;
}

/** From the thread to the main thread. */
export type FromApiThread = { type: 'listening' } | { type: 'metrics'; id: number } | { type: 'failed'; message: string };

/** From the main thread to the thread. */
export type ToApiThread = { type: 'metrics'; id: number; metrics: MetricsJson } | { type: 'stop' };

async function main(): Promise<void> {
  const port = parentPort!;
  const send = (m: FromApiThread) => port.postMessage(m);
  const config = loadConfig();
  log.level = config.LOG_LEVEL.toLowerCase();
  const { store: location } = workerData as ApiThreadData;
  const store = await openStore(location);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const tracing = startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? 'herald', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

  // /metrics: the main thread's (the worker's sends, the process's runtime), with this thread's added.
  const asked = new Map<number, (m: MetricsJson) => void>();
  let nextId = 1;
  const mainMetrics = () =>
    new Promise<MetricsJson>((resolve) => {
      const id = nextId++;
      asked.set(id, resolve);
      send({ type: 'metrics', id });
    });

  const app = createApp({
    store,
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: clientInterceptors(tracing) }),
    settings: apiSettings(config, secretsKey(config)),
    tracing,
    metrics: async () => metricsWith(await mainMetrics()),
  });
  const server = app.listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const stopMatcher = startReceiptMatcher(store, log);

  port.on('message', (m: ToApiThread) => {
    if (m.type === 'metrics') {
      asked.get(m.id)?.(m.metrics);
      asked.delete(m.id);
      return;
    }
    stopMatcher();
    server.close(() => {
      void connection
        .close()
        .finally(() => Promise.all([store.close(), tracing?.shutdown()]))
        .finally(() => port.close());
    });
  });
  send({ type: 'listening' });
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies FromApiThread);
  parentPort!.close();
});
