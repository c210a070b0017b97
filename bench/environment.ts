/**
 * What every benchmark starts first: a Temporal dev server (Herald's search attributes registered), the workflow
 * bundle built once for every Herald it starts, and the sink process standing in for a provider.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { findTemporalCli, freePort, registerSearchAttributes, startDevServer } from '../src/cli/temporal';
import { startSinkProcess } from './processes';

const ROOT = path.resolve(__dirname, '..');

/** The running environment; `cleanup` (run in order) stops what it started. */
export interface BenchEnvironment {
  temporalAddress: string;
  client: Client;
  workflowBundle: string;
  sinkUrl: string;
  sinkPid: number;
}

/** Starts the environment, adding to `cleanup` (first to run first) what stops each part. */
export async function startBenchEnvironment(cleanup: (() => Promise<unknown>)[]): Promise<BenchEnvironment> {
  const cli = findTemporalCli(path.join(ROOT, '.herald', 'tools'));
  const temporal = await startDevServer({ cli, port: await freePort() });
  cleanup.unshift(() => temporal.stop());
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.unshift(() => connection.close());
  await registerSearchAttributes(connection, 'default');

  const dir = path.join(ROOT, '.herald', 'bench');
  mkdirSync(dir, { recursive: true });
  const workflowBundle = path.join(dir, 'workflow-bundle.js');
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  writeFileSync(workflowBundle, (await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'src/workflows'), logger: silent })).code);

  const sink = await startSinkProcess();
  cleanup.unshift(() => sink.child.stop());
  return { temporalAddress: temporal.address, client: new Client({ connection }), workflowBundle, sinkUrl: sink.url, sinkPid: sink.child.pid };
}
