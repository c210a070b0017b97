/**
 * `npm start`: everything on one machine. Provisions and starts the Temporal dev server (state kept in
 * .herald/), then runs the worker and the API in this process on the embedded store, and prints the URLs.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode } from '@temporalio/worker';
import { createApp } from '../api/app';
import { startReceiptMatcher } from '../api/receipts/receipts.routes';
import { apiSettings, loadConfig, secretsKey, storeLocation } from '../config';
import { installLogging, log } from '../observability/log';
import { WORKFLOW_TRACING_MODULE, clientInterceptors, startTracing } from '../observability/tracing';
import { openStore } from '../store';
import { createWorker, prebuiltWorkflowBundle, workerSending } from '../worker';
import { serveAdmin } from './admin';
import { ensureDevApiKey } from './dev-account';
import { FAIRNESS_DYNAMIC_CONFIG, findTemporalCli, isListening, registerSearchAttributes, startDevServer, type DevServer } from './temporal';

async function main(): Promise<void> {
  const config = loadConfig();
  installLogging(config.LOG_LEVEL);
  const dataDir = config.HERALD_DATA_DIR;
  mkdirSync(dataDir, { recursive: true });
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    let devServer: DevServer | undefined;
    if (await isListening(config.TEMPORAL_ADDRESS)) {
      console.log(`Using the Temporal server already at ${config.TEMPORAL_ADDRESS}`);
    } else {
      const cli = findTemporalCli(path.join(dataDir, 'tools'));
      console.log(`Starting Temporal (${cli}); its data is in ${dataDir}/temporal.sqlite`);
      devServer = await startDevServer({
        cli,
        port: Number(config.TEMPORAL_ADDRESS.split(':').pop()),
        uiPort: Number(new URL(config.TEMPORAL_UI_URL).port || 80),
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(dataDir, 'temporal.log'),
        dynamicConfig: FAIRNESS_DYNAMIC_CONFIG,
      });
      cleanup.unshift(() => devServer!.stop());
    }

    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    cleanup.unshift(() => connection.close());
    const tracing = startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? 'herald', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
    if (tracing) {
      cleanup.push(() => tracing.shutdown());
      console.log(`Tracing: spans go by OTLP to ${config.OTEL_EXPORTER_OTLP_ENDPOINT}`);
    }
    await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);

    const store = await openStore(storeLocation(config));
    cleanup.unshift(() => store.close());
    const apiKey = await ensureDevApiKey(store, dataDir);
    if (!config.DATABASE_URL) {
      // This process owns the embedded store's folder: `npm run account` works through this endpoint meanwhile.
      const admin = await serveAdmin(store, dataDir);
      cleanup.unshift(() => admin.close());
    }

    const key = secretsKey(config);
    const sending = workerSending(config, store, key);
    cleanup.unshift(() => sending.providers.close());
    const workflowBundle = prebuiltWorkflowBundle(config);
    const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    cleanup.unshift(() => workerConnection.close());
    const worker = await createWorker({
      connection: workerConnection,
      store,
      ...sending,
      config,
      tracing,
      workflowBundle: workflowBundle ?? (await bundleWorkflows(tracing ? [WORKFLOW_TRACING_MODULE] : [])),
    });

    const app = createApp({
      store,
      temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: clientInterceptors(tracing) }),
      settings: apiSettings(config, key),
      tracing,
    });
    const server = app.listen(config.PORT, config.HOST);
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    cleanup.unshift(() => new Promise((resolve) => server.close(resolve)));
    const stopMatcher = startReceiptMatcher(store, log);
    cleanup.unshift(async () => stopMatcher());

    const api = `http://${config.HOST}:${config.PORT}`;
    console.log(`
Herald is running.
  Console      ${api}/console  (sign in with the API key below)
  API          ${api}/v1
  API docs     ${api}/docs  (OpenAPI document at ${api}/openapi.json)
  Temporal UI  ${devServer?.uiUrl ?? config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows
  Store        ${config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded, ${dataDir}/pglite`}
  API key      ${apiKey}

  export HERALD=${api} HERALD_KEY=${apiKey}
Ctrl-C stops everything.`);

    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.log(`\n${signal}: shutting down...`);
        worker.shutdown();
      });
    }
    await worker.run();
  } finally {
    for (const step of cleanup) await step().catch((err: unknown) => console.error(err));
  }
}

/**
 * Bundles the workflow code with a line before and after (webpack's own report stays out of the terminal unless
 * it warns), instead of letting the worker bundle it silently.
 */
async function bundleWorkflows(workflowInterceptorModules: string[]): Promise<{ code: string }> {
  const started = Date.now();
  console.log('Bundling the campaign workflow code (webpack, a few seconds)...');
  const quiet = {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string) => console.warn(`  bundler: ${message}`),
    error: (message: string) => console.error(`  bundler: ${message}`),
  };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules, logger: quiet });
  console.log(`Bundled the workflows in ${((Date.now() - started) / 1000).toFixed(1)} s (${Math.round(code.length / 1024)} KB).`);
  return { code };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
