/** Starts one Temporal dev server (in memory) for the whole run and bundles the workflows once. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAIRNESS_DYNAMIC_CONFIG, findTemporalCli, freePort, registerSearchAttributes, startDevServer, type DevServer } from '../../src/cli/temporal';

const ROOT = path.resolve(__dirname, '../..');

export default async function globalSetup(): Promise<void> {
  // Herald's structured logs stay out of the test output unless asked for (LOG_LEVEL=DEBUG npm test).
  process.env.LOG_LEVEL ??= 'SILENT';
  const cli = findTemporalCli(path.join(ROOT, '.herald', 'tools'));
  // Temporal suggests continue-as-new after 100 history events here (thousands in production), so every
  // larger test campaign exercises it.
  const server = await startDevServer({
    cli,
    port: await freePort(),
    // Task queue fairness between accounts, as `npm start` runs it.
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 100, ...FAIRNESS_DYNAMIC_CONFIG },
  });
  (globalThis as { heraldTemporal?: DevServer }).heraldTemporal = server;
  const connection = await Connection.connect({ address: server.address });
  try {
    await registerSearchAttributes(connection, 'default');
  } finally {
    await connection.close();
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(ROOT, 'src', 'workflows'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  const dir = path.join(ROOT, '.herald', 'test');
  mkdirSync(dir, { recursive: true });
  const bundlePath = path.join(dir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, code);
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.HERALD_TEST_WORKFLOW_BUNDLE = bundlePath;
}
