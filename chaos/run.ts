/**
 * `npm run chaos`: breaks Herald on purpose while it sends, then checks its promise. Herald runs as real
 * processes (the API and a worker on PostgreSQL, a Temporal dev server on a database file) and sends to a local
 * provider that honours idempotency keys and counts real duplicates. Each fault hits a campaign mid-send at a
 * seeded random moment; after recovery every recipient must be sent exactly once or recorded notSent/failed,
 * with one event each and counts that add up. Loopback only, bounded in time; `--short` is the version
 * `npm test` runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { HeraldApi } from '../bench/herald';
import { startTs, type Child } from '../bench/processes';
import { findTemporalCli, freePort, registerSearchAttributes, startDevServer, type DevServer } from '../src/cli/temporal';
import { eventType } from '../src/domain/vocabulary';
import { openStore } from '../src/store';
import { eventually } from '../test/helpers';
import { createDatabase } from '../test/helpers/database';
import { startTcpProxy, type TcpProxy } from './proxy';
import { SCENARIOS, type Scenario, type Trial } from './scenarios';
import { startChaosSink, type ChaosSink, type SinkMode } from './sink';

const ROOT = path.resolve(__dirname, '..');
const { values: opts } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    recipients: { type: 'string' },
    kills: { type: 'string' },
    'outage-seconds': { type: 'string' },
    only: { type: 'string', default: SCENARIOS.join(',') },
    out: { type: 'string' },
    'database-url': { type: 'string', default: process.env.CHAOS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`npm run chaos -- [options]
  --short               the short version npm test runs: 2,000 recipients, 2 kills, 5 s outages
  --seed S              seeds the moments faults strike and how long a killed worker stays down (default 1)
  --recipients N        recipients of each campaign (default 20000)
  --kills K             worker SIGKILL trials (default 10)
  --outage-seconds T    how long the store is unreachable and the provider fails (default 30)
  --only LIST           any of ${SCENARIOS.join(',')}
  --out FILE            where the results go (default chaos/results/<time>.json)
  --database-url URL    PostgreSQL server for Herald's database (default postgres://postgres@127.0.0.1:5432/postgres)`);
  process.exit(0);
}

const N = Number(opts.recipients ?? (opts.short ? 2_000 : 20_000));
const KILLS = Number(opts.kills ?? (opts.short ? 2 : 10));
const OUTAGE_MS = Number(opts['outage-seconds'] ?? (opts.short ? 5 : 30)) * 1000;
/** How long the provider hangs or answers 429: a third of the outage, at least 3 s. */
const SLOW_MS = Math.max(3_000, OUTAGE_MS / 3);
/** No campaign may take longer than this to end after its fault, whatever happened. */
const RECOVERY_DEADLINE_MS = OUTAGE_MS + 180_000;
const only = new Set(opts.only.split(',').filter(Boolean) as Scenario[]);

/** Seeded random numbers in [0, 1) (mulberry32): the same seed strikes at the same moments. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything a trial can break. */
interface Rig {
  api: HeraldApi;
  sink: ChaosSink;
  proxy: TcpProxy;
  temporal: { current: DevServer; restart(downMs: number): Promise<void> };
  worker: { current: Child | null; start(): Promise<void>; kill(): Promise<void> };
  terminateBackends(): Promise<number>;
  audience: string;
  rng: () => number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const seed = Number(opts.seed);
  console.log(`Herald chaos: ${N.toLocaleString('en')} recipients per campaign, ${KILLS} worker kills, ${OUTAGE_MS / 1000} s outages, seed ${seed}`);
  const cleanup: (() => Promise<unknown>)[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-chaos-'));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const trials: Trial[] = [];
  try {
    // Temporal on a database file, so a restart keeps every workflow.
    const cli = findTemporalCli(path.join(ROOT, '.herald', 'tools'));
    const temporalPort = await freePort();
    const startTemporal = () => startDevServer({ cli, port: temporalPort, dbFile: path.join(dir, 'temporal.sqlite'), logFile: path.join(dir, 'temporal.log') });
    const temporal: Rig['temporal'] = {
      current: await startTemporal(),
      async restart(downMs) {
        await this.current.stop();
        await sleep(downMs);
        this.current = await startTemporal();
      },
    };
    cleanup.unshift(() => temporal.current.stop());
    const connection = await Connection.connect({ address: temporal.current.address });
    await registerSearchAttributes(connection, 'default');
    await connection.close();
    const workflowBundle = path.join(dir, 'workflow-bundle.js');
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
    writeFileSync(workflowBundle, (await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'src/workflows'), logger: quiet })).code);

    const sink = await startChaosSink();
    cleanup.unshift(() => sink.close());

    // Herald reaches PostgreSQL through a proxy the run can cut.
    const db = await createDatabase(opts['database-url'], 'herald_chaos');
    cleanup.push(() => db.drop());
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanup.unshift(() => proxy.close());
    const proxied = new URL(db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const store = await openStore({ databaseUrl: db.url });
    const { apiKey } = await store.createAccount('chaos');
    await store.close();

    const apiPort = await freePort();
    const env = {
      TEMPORAL_ADDRESS: temporal.current.address,
      TASK_QUEUE: 'chaos',
      DATABASE_URL: proxied.toString(),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_URL: sink.url,
      WEBHOOK_TIMEOUT_MS: '2000',
      WORKFLOW_BUNDLE: workflowBundle,
      LOG_LEVEL: 'ERROR',
      PORT: String(apiPort),
    };
    const apiProcess = await startTs(path.join(ROOT, 'src/api/server.ts'), env, (l) => l.startsWith('herald api on'));
    cleanup.unshift(() => apiProcess.child.stop());
    const worker: Rig['worker'] = {
      current: null,
      async start() {
        this.current = (await startTs(path.join(ROOT, 'src/worker.ts'), env, (l) => l.startsWith('herald worker on'))).child;
      },
      async kill() {
        await this.current?.kill();
        this.current = null;
      },
    };
    await worker.start();
    cleanup.unshift(() => worker.current?.stop() ?? Promise.resolve());

    const api = new HeraldApi(`http://127.0.0.1:${apiPort}`, apiKey);
    const audience = await api.audience('chaos', N);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    cleanup.unshift(() => admin.end());
    const rig: Rig = {
      api,
      sink,
      proxy,
      temporal,
      worker,
      audience,
      rng: random(seed),
      async terminateBackends() {
        const { rows } = await admin.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        return rows[0]!.n;
      },
    };

    for (const scenario of SCENARIOS) {
      if (!only.has(scenario)) continue;
      const runs = scenario === 'worker-kill' ? KILLS : 1;
      for (let i = 0; i < runs; i++) {
        const trial = await runTrial(rig, scenario);
        trials.push(trial);
        const verdict = trial.problems.length === 0 ? 'ok' : `FAILED: ${trial.problems.join('; ')}`;
        const c = trial.counts;
        console.log(
          `${scenario.padEnd(22)} ${trial.fault.padEnd(44)} sent ${c.sent} notSent ${c.notSent} failed ${c.failed} of ${c.planned}; ` +
            `provider got ${trial.delivered}, ${trial.replays} resends answered by key, ${trial.duplicates} duplicates; ` +
            `${trial.afterWorkerBack === undefined ? '' : `${trial.afterWorkerBack} after the worker came back, ${c.inDoubt} in doubt; `}` +
            `ended ${trial.status} ${(trial.recoveredInMs / 1000).toFixed(1)} s after the fault: ${verdict}`,
        );
      }
    }
  } finally {
    for (const step of cleanup) await step().catch((err: unknown) => console.error(err));
  }

  const failed = trials.filter((t) => t.problems.length > 0);
  const resultsDir = path.join(ROOT, 'chaos', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = opts.out ? path.resolve(opts.out) : path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const summary = { seed: Number(opts.seed), recipients: N, kills: KILLS, outageMs: OUTAGE_MS, seconds: Math.round((Date.now() - started) / 1000), trials };
  writeFileSync(file, JSON.stringify(summary, null, 2));
  console.log(`\n${trials.length - failed.length} passed, ${failed.length} failed (${summary.seconds} s); results in ${path.relative(ROOT, file)}`);
  if (failed.length > 0 || trials.length === 0) process.exitCode = 1;
}

/** Sends a campaign, strikes it with the scenario's fault mid-send, lets it recover, and checks the outcome. */
async function runTrial(rig: Rig, scenario: Scenario): Promise<Trial> {
  const { api, sink } = rig;
  const duplicatesBefore = sink.ledger.duplicates();
  const replaysBefore = sink.ledger.replays;
  const id = (await api.call<{ id: string }>('POST', '/v1/campaigns', {
    name: `chaos ${scenario}`,
    audienceId: rig.audience,
    channels: [{ channel: 'email', subject: 'Hi {{ contact.first_name }}', body: 'Chaos test' }],
  })).id;
  // The fault strikes once the provider has a seeded share (5-80 %) of the campaign: always mid-send.
  const share = 0.05 + rig.rng() * 0.75;
  await api.call('POST', `/v1/campaigns/${id}/send`);
  await eventually(async () => (sink.ledger.campaign(id).count >= share * N ? true : undefined), 120_000, 5);
  const struck = Date.now();
  const at = `at ${Math.round(share * 100)}%`;
  let fault = '';
  let expected = 'Finished';
  let stopAnsweredAt: number | undefined;
  let workerBackAt: number | undefined;
  let stopError: string | undefined;

  const outage = async (mode: SinkMode, ms: number) => {
    sink.set(mode);
    await sleep(ms);
    sink.set('ok');
  };
  switch (scenario) {
    case 'worker-kill': {
      const downMs = Math.round(rig.rng() * 2_000);
      await rig.worker.kill();
      await sleep(downMs);
      await rig.worker.start();
      fault = `SIGKILL ${at}, down ${downMs} ms`;
      break;
    }
    case 'temporal-restart':
      await rig.temporal.restart(2_000);
      fault = `dev server stopped ${at}, back after 2 s`;
      break;
    case 'postgres-terminate': {
      let killed = 0;
      for (let k = 0; k < 3; k++) {
        killed += await rig.terminateBackends();
        await sleep(300);
      }
      fault = `pg_terminate_backend ×3 ${at} (${killed} backends)`;
      break;
    }
    case 'store-unreachable':
      rig.proxy.cut();
      await sleep(OUTAGE_MS);
      rig.proxy.restore();
      fault = `store unreachable ${OUTAGE_MS / 1000} s ${at}`;
      break;
    case 'provider-5xx':
      await outage('error', OUTAGE_MS);
      fault = `503 for ${OUTAGE_MS / 1000} s ${at} (${sink.faults.error} answered)`;
      break;
    case 'provider-hang':
      await outage('hang', SLOW_MS);
      fault = `hangs ${SLOW_MS / 1000} s ${at}, timeout 2 s`;
      break;
    case 'provider-429':
      await outage('throttle', SLOW_MS);
      fault = `429 Retry-After 1 for ${SLOW_MS / 1000} s ${at}`;
      break;
    case 'stop-while-worker-down': {
      await rig.worker.kill();
      const request = api.call('POST', `/v1/campaigns/${id}/stop`, { confirmation: id }).then(
        () => (stopAnsweredAt = Date.now()),
        (err: Error) => (stopError = err.message),
      );
      await sleep(2_000);
      const answeredWhileDown = stopAnsweredAt !== undefined;
      await rig.worker.start();
      workerBackAt = Date.now();
      await request;
      fault = `SIGKILL ${at}, stop sent, worker back after 2 s`;
      expected = 'Stopped';
      if (answeredWhileDown) fault += ' (answered while down!)';
      break;
    }
  }

  const ended = await eventually(async () => {
    const c = await api.call<{ status: string }>('GET', `/v1/campaigns/${id}`).catch(() => undefined);
    return c && ['Finished', 'Stopped', 'Error'].includes(c.status) ? c : undefined;
  }, RECOVERY_DEADLINE_MS, 250).catch(() => undefined);
  const recoveredInMs = Date.now() - struck;
  // A moment more, for anything that would still arrive after the end.
  await sleep(1_000);
  const campaign = await api.call<{ status: string; counts: Trial['counts'] }>('GET', `/v1/campaigns/${id}`);
  const events = { sent: await countEvents(api, id, 'sent'), notSent: await countEvents(api, id, 'notSent'), failed: await countEvents(api, id, 'failed') };
  const trial: Trial = {
    scenario,
    fault,
    campaignId: id,
    status: campaign.status,
    counts: campaign.counts,
    delivered: sink.ledger.campaign(id).count,
    replays: sink.ledger.replays - replaysBefore,
    duplicates: sink.ledger.duplicates() - duplicatesBefore,
    events,
    recoveredInMs,
    problems: [],
    ...(workerBackAt ? { afterWorkerBack: sink.ledger.campaign(id, workerBackAt).after } : {}),
  };
  const c = campaign.counts;
  const problems = trial.problems;
  if (!ended) problems.push(`did not end within ${RECOVERY_DEADLINE_MS / 1000} s`);
  if (campaign.status !== expected) problems.push(`ended ${campaign.status}, expected ${expected}`);
  if (c.planned !== N) problems.push(`planned ${c.planned}, expected ${N}`);
  if (c.pending !== 0) problems.push(`${c.pending} pending left`);
  if (c.sent + c.notSent + c.failed + c.inDoubt !== c.planned) problems.push('sent + notSent + failed + inDoubt != planned');
  // What is in doubt may or may not have arrived; everything recorded sent did.
  if (trial.delivered < c.sent || trial.delivered > c.sent + c.inDoubt) {
    problems.push(`provider delivered ${trial.delivered}, recorded sent ${c.sent} with ${c.inDoubt} in doubt`);
  }
  if (trial.duplicates !== 0) problems.push(`${trial.duplicates} recipients got the campaign twice`);
  if (events.sent !== c.sent || events.notSent !== c.notSent || events.failed !== c.failed) {
    problems.push(`events ${JSON.stringify(events)} do not match the counts`);
  }
  if (expected === 'Finished' && c.sent !== N) problems.push(`${N - c.sent} recipients not sent after recovery`);
  if (stopError) problems.push(`the stop failed: ${stopError}`);
  if (stopAnsweredAt !== undefined) {
    const late = sink.ledger.campaign(id, stopAnsweredAt).after;
    if (late > 0) problems.push(`${late} messages reached the provider after the stop answered`);
    if (c.notSent === 0) problems.push('a stop mid-send left nobody notSent');
    // The stop was durable when asked: after the worker came back nothing more went, and nothing in doubt was resent.
    if ((trial.afterWorkerBack ?? 0) > 0) problems.push(`${trial.afterWorkerBack} messages went after the worker came back`);
  }
  return trial;
}

/** A campaign's events of one outcome, counted through the API. */
async function countEvents(api: HeraldApi, campaignId: string, outcome: 'sent' | 'notSent' | 'failed'): Promise<number> {
  let n = 0;
  for (let after: string | undefined; ; ) {
    const q = new URLSearchParams({ campaignId, type: eventType('email', outcome), limit: '1000', ...(after ? { after } : {}) });
    const page = await api.call<{ items: unknown[]; next: string | null }>('GET', `/v1/events?${q}`);
    n += page.items.length;
    if (!page.next) return n;
    after = page.next;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
