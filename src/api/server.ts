/** `npm run api`: the REST API alone, against TEMPORAL_ADDRESS and DATABASE_URL (workers run elsewhere). */
import { Client, Connection } from '@temporalio/client';
import { apiSettings, loadConfig, secretsKey } from '../config';
import { log } from '../observability/log';
import { clientInterceptors, startTracing } from '../observability/tracing';
import { openStore } from '../store';
import { createApp } from './app';
import { startReceiptMatcher } from './receipts/receipts.routes';

async function main(): Promise<void> {
  const config = loadConfig();
  log.level = config.LOG_LEVEL.toLowerCase();
  if (!config.DATABASE_URL) throw new Error('npm run api needs DATABASE_URL (the embedded store runs in `npm start`)');
  const store = await openStore({ databaseUrl: config.DATABASE_URL });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const tracing = startTracing({ serviceName: config.OTEL_SERVICE_NAME ?? 'herald-api', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const app = createApp({
    store,
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: clientInterceptors(tracing) }),
    settings: apiSettings(config, secretsKey(config)),
    tracing,
  });
  const stopMatcher = config.API_ROUTES === 'control' ? () => undefined : startReceiptMatcher(store, log);
  const server = app.listen(config.PORT, config.HOST, () => {
    console.log(`herald api on http://${config.HOST}:${config.PORT}`);
  });
  const stop = () => {
    stopMatcher();
    server.close(() => {
      void connection.close().finally(() => Promise.all([store.close(), tracing?.shutdown()]));
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
