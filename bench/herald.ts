/**
 * Herald as the benchmark runs it: real processes (API and worker in one on the embedded store, as `npm start`
 * runs them; or the API and any number of workers on PostgreSQL), driven through its REST API like a user.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/cli/temporal';
import { openStore } from '../src/store';
import { createDatabase } from '../test/helpers/database';
import { workerLaunch } from '../test/helpers/worker-launch';
import { startTs, type Child } from './processes';

const ROOT = path.resolve(__dirname, '..');

/** What every Herald instance is started with. */
export interface HeraldEnv {
  temporalAddress: string;
  sinkUrl: string;
  concurrency: number;
  workflowBundle: string;
  /** NODE_OPTIONS for worker processes (e.g. a heap cap), as production would set them. */
  workerNodeOptions?: string;
  /** Herald on PostgreSQL runs the compiled JavaScript of dist/ instead of the sources through tsx. */
  compiled?: boolean;
  /** How long the sink takes to answer each message (a provider's round trip); 0 unless said. */
  providerLatencyMs?: number;
  /** On PostgreSQL, providers' receipts go to a process of their own (API_ROUTES=receipts; the API: control). */
  receiptsProcess?: boolean;
}

/** A running Herald: its API, its key, its worker processes. */
export interface Herald {
  name: string;
  api: HeraldApi;
  workerPids: number[];
  /** On PostgreSQL: the API process, its database and secrets key (for benches that set up rows directly). */
  postgres?: { apiPid: number; accountId: string; databaseUrl: string; secretsKey: Buffer };
  stop(): Promise<void>;
}

/**
 * Herald on the embedded store: one process with the API and the worker, on its own data folder; named
 * `embedded-inline`, its PGlite runs on the main thread (EMBEDDED_ENGINE=inline) instead of its own.
 */
export async function startEmbedded(env: HeraldEnv, name = 'embedded'): Promise<Herald> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const port = await freePort();
  const { child } = await startTs(path.join(ROOT, 'src/cli/start.ts'), { ...common(env, name), HERALD_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_ENGINE: name === 'embedded-inline' ? 'inline' : 'thread' }, (l) =>
    l.startsWith('Herald is running'),
  );
  const key = readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim();
  return {
    name,
    api: new HeraldApi(`http://127.0.0.1:${port}`, key),
    workerPids: [child.pid],
    async stop() {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Herald on a new PostgreSQL database (dropped at stop): the API process and `workers` worker processes. */
export async function startPostgres(env: HeraldEnv, adminUrl: string, workers = 1, name = 'postgres'): Promise<Herald> {
  const { url: databaseUrl, drop } = await createDatabase(adminUrl, 'herald_bench');
  const store = await openStore({ databaseUrl });
  const { apiKey, accountId } = await store.createAccount('bench');
  await store.close();

  const port = await freePort();
  const secretsKey = randomBytes(32);
  const shared = { ...common(env, name), DATABASE_URL: databaseUrl, SECRETS_KEY: secretsKey.toString('base64') };
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await drop();
  };
  try {
    // Compiled (`npm run build`), they run as `npm run api` / `npm run worker` and the Docker image run them.
    const file = (ts: string) => path.join(ROOT, env.compiled ? ts.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js') : ts);
    // PGAPPNAME names each process's connections, so a bench can tell their database backends apart.
    const receiptsPort = env.receiptsProcess ? await freePort() : undefined;
    const split = receiptsPort ? { API_ROUTES: 'control', RECEIPTS_URL: `http://127.0.0.1:${receiptsPort}` } : {};
    children.push((await startTs(file('src/api/server.ts'), { ...shared, ...split, PORT: String(port), PGAPPNAME: 'herald-api' }, (l) => l.startsWith('herald api on'))).child);
    // Compiled, workers start with the Node flags and environment of `npm run worker`.
    const launch = env.compiled ? workerLaunch() : { nodeArgs: [], env: {} };
    for (let i = 0; i < workers; i++) {
      const workerEnv = { ...launch.env, ...shared, PGAPPNAME: 'herald-worker', ...(env.workerNodeOptions ? { NODE_OPTIONS: env.workerNodeOptions } : {}) };
      children.push((await startTs(file('src/worker.ts'), workerEnv, (l) => l.startsWith('herald worker on'), launch.nodeArgs)).child);
    }
    if (receiptsPort) {
      const receiptsEnv = { ...shared, API_ROUTES: 'receipts', PORT: String(receiptsPort), PGAPPNAME: 'herald-receipts' };
      children.push((await startTs(file('src/api/server.ts'), receiptsEnv, (l) => l.startsWith('herald api on'))).child);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name,
    api: new HeraldApi(`http://127.0.0.1:${port}`, apiKey),
    workerPids: children.slice(1, 1 + workers).map((c) => c.pid),
    postgres: { apiPid: children[0]!.pid, accountId, databaseUrl, secretsKey },
    stop,
  };
}

function common(env: HeraldEnv, name: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: env.temporalAddress,
    TASK_QUEUE: `bench-herald-${name}`,
    WEBHOOK_URL: env.providerLatencyMs ? `${env.sinkUrl}?latencyMs=${env.providerLatencyMs}` : env.sinkUrl,
    WEBHOOK_CONCURRENCY: String(env.concurrency),
    WORKFLOW_BUNDLE: env.workflowBundle,
    // Accounts' own provider settings (channels, shared-rate trials) may point at the local servers the trials start.
    PROVIDER_ALLOWED_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'WARN',
  };
}

/** Herald's REST API, as a user calls it. */
export class HeraldApi {
  constructor(
    readonly base: string,
    private readonly key: string,
  ) {}

  /** Calls the API; throws with the API's message unless the status is 2xx. */
  async call<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { error?: { message: string } };
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${json.error?.message ?? ''}`);
    return json;
  }

  /** Imports contacts `<set>0..<set>n-1` with an email (and a phone), tagged `set`; returns an audience of them. */
  async audience(set: string, n: number): Promise<string> {
    for (let from = 0; from < n; from += 10_000) {
      const contacts = Array.from({ length: Math.min(10_000, n - from) }, (_, k) => ({
        id: `${set}${from + k}`,
        email: `${set}${from + k}@example.com`,
        phone: `+1${String(2_000_000_000 + from + k)}`,
        attributes: { set, first_name: `Bench${from + k}` },
      }));
      await this.call('POST', '/v1/contacts', { contacts });
    }
    const audience = await this.call<{ id: string }>('POST', '/v1/audiences', {
      name: set,
      type: 'filter',
      all: [{ attribute: 'set', op: 'eq', value: set }],
    });
    return audience.id;
  }

  /** A Draft campaign for `audienceId` on `channels` (email unless said); returns its id. */
  async campaign(audienceId: string, name: string, channels: ('email' | 'sms')[] = ['email']): Promise<string> {
    const content = {
      email: { channel: 'email', subject: 'Hi {{ contact.first_name }}', body: 'Hello {{ contact.first_name }}, this is the benchmark.' },
      sms: { channel: 'sms', body: 'Hi {{ contact.first_name }}, this is the benchmark.' },
    };
    const campaign = await this.call<{ id: string }>('POST', '/v1/campaigns', { name, audienceId, channels: channels.map((c) => content[c]) });
    return campaign.id;
  }
}
