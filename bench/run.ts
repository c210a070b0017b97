/**
 * `npm run bench`: Herald side by side with a plain HTTP loop (the upper bound), the naive Temporal design (one
 * activity per recipient) and a job queue (BullMQ on the local Redis), all posting the same messages with the same
 * concurrency to the same local sink process; then the latency of stop, pause and the account brake at random
 * moments of a running campaign, and what the sink received after each answer; optionally a large campaign and
 * two workers. Everything it needs it starts itself. Prints markdown tables and writes JSON to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Queue } from 'bullmq';
import { findTemporalCli, freePort, registerSearchAttributes, startDevServer } from '../src/cli/temporal';
import { campaignWorkflowId } from '../src/workflows/definitions';
import { startEmbedded, startPostgres, type Herald, type HeraldEnv } from './herald';
import { post, sinkClient } from './message';
import { sampleRss, startTs, type Child } from './processes';

const ROOT = path.resolve(__dirname, '..');
const CONTENDERS = ['raw', 'naive', 'bullmq', 'herald'] as const;

const { values: opts } = parseArgs({
  options: {
    recipients: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    stores: { type: 'string', default: 'embedded,postgres' },
    runs: { type: 'string', default: '1' },
    'naive-recipients': { type: 'string', default: '5000' },
    stops: { type: 'string', default: '20' },
    'stop-recipients': { type: 'string', default: '10000' },
    only: { type: 'string', default: [...CONTENDERS, 'stops'].join(',') },
    scale: { type: 'string' },
    workers: { type: 'boolean', default: false },
    'worker-node-options': { type: 'string' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`npm run bench -- [options]
  --recipients N         recipients per throughput run (default 20000)
  --concurrency C        HTTP requests in flight for every contender (default 32)
  --stores LIST          Herald stores: embedded,postgres (default both); embedded-inline runs PGlite on the main thread
  --runs R               throughput runs per contender (default 1; the table shows the median)
  --naive-recipients N   recipients for naive Temporal (default 5000: its history cannot hold many more)
  --stops K              stops, pauses and brakes each, at random moments (default 20; 0 skips)
  --stop-recipients N    recipients of each campaign stopped (default 10000)
  --only LIST            any of raw,naive,bullmq,herald,stops (default all)
  --scale N              also send one campaign of N recipients on PostgreSQL (e.g. 1000000)
  --workers              also compare one and two worker processes on PostgreSQL
  --worker-node-options=S  NODE_OPTIONS for Herald's PostgreSQL worker processes (e.g. --worker-node-options=--max-old-space-size=128)
  --database-url URL     PostgreSQL server for Herald's databases (default postgres://postgres@127.0.0.1:5432/postgres)`);
  process.exit(0);
}

const N = Number(opts.recipients);
const C = Number(opts.concurrency);
const RUNS = Number(opts.runs);
const only = new Set(opts.only.split(','));
const stores = opts.stores.split(',').filter(Boolean) as ('embedded' | 'embedded-inline' | 'postgres')[];

/** One measured run of one contender. */
interface Throughput {
  contender: string;
  recipients: number;
  seconds: number;
  perSecond: number;
  peakRssMb: number | null;
  historyEventsPer100k: number | null;
  delivered: number;
  duplicates: number;
  note?: string;
}

/** Latency of one control action at a random moment. */
interface ControlSample {
  ms: number;
  afterResponse: number;
  waitedMs: number;
  sentBefore: number;
  /** A stop's report steps: ms from the request to each step's end. */
  steps?: Record<string, number>;
}

const cleanup: (() => Promise<unknown>)[] = [];
let sinkUrl = '';

async function sinkStats(campaignId?: string, after?: number) {
  const url = new URL(sinkUrl.replace(/\/messages$/, '/stats'));
  if (campaignId) url.searchParams.set('campaignId', campaignId);
  if (after !== undefined) url.searchParams.set('after', String(after));
  return (await (await fetch(url)).json()) as {
    delivered: number;
    duplicates: number;
    replays: number;
    campaign?: { count: number; first: number | null; last: number | null; after: number };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function main(): Promise<void> {
  console.log(`Herald benchmark: ${N.toLocaleString('en')} recipients, concurrency ${C}, ${os.cpus().length} cores, Node ${process.version}`);
  const cli = findTemporalCli(path.join(ROOT, '.herald', 'tools'));
  const temporal = await startDevServer({ cli, port: await freePort() });
  cleanup.push(() => temporal.stop());
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.unshift(() => connection.close());
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection });

  const dir = path.join(ROOT, '.herald', 'bench');
  mkdirSync(dir, { recursive: true });
  const workflowBundle = path.join(dir, 'workflow-bundle.js');
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  writeFileSync(workflowBundle, (await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'src/workflows'), logger: silent })).code);

  const sink = await startTs(path.join(__dirname, 'sink.ts'), {}, (l) => l.startsWith('{"url"'));
  cleanup.unshift(() => sink.child.stop());
  sinkUrl = (JSON.parse(sink.line) as { url: string }).url;
  const env: HeraldEnv = {
    temporalAddress: temporal.address,
    sinkUrl,
    concurrency: C,
    workflowBundle,
    ...(opts['worker-node-options'] ? { workerNodeOptions: opts['worker-node-options'] } : {}),
  };

  const results: Throughput[] = [];
  const controls: Record<string, ControlSample[]> = {};
  const measure = async (run: () => Promise<Throughput>) => {
    const duplicatesBefore = (await sinkStats()).duplicates;
    const row = await run();
    row.duplicates = (await sinkStats()).duplicates - duplicatesBefore;
    results.push(row);
    console.log(`  ${row.contender}: ${row.recipients} in ${row.seconds.toFixed(2)} s = ${Math.round(row.perSecond)}/s`);
  };

  for (let r = 1; r <= RUNS; r++) {
    console.log(`run ${r} of ${RUNS}`);
    if (only.has('raw')) await measure(() => raw(`raw-${r}`, N));
    if (only.has('naive')) await measure(() => naive(client, temporal.address, `naive-${r}`, Number(opts['naive-recipients'])));
    if (only.has('bullmq')) await measure(() => bullmq(`bullmq-${r}`, N));
    if (only.has('herald')) {
      for (const store of stores) {
        const herald = store.startsWith('embedded') ? await startEmbedded(env, store) : await startPostgres(env, opts['database-url']);
        try {
          const audience = await herald.api.audience('main', N);
          await measure(() => heraldRun(client, herald, audience, N));
        } finally {
          await herald.stop();
        }
      }
    }
  }

  const controlled = stores.includes('postgres') ? 'postgres' : stores[0];
  if (only.has('stops') && Number(opts.stops) > 0 && controlled) {
    console.log(`stop, pause and brake at random moments (Herald on ${controlled})`);
    const herald = controlled === 'embedded' ? await startEmbedded(env) : await startPostgres(env, opts['database-url']);
    try {
      const audience = await herald.api.audience('trial', Number(opts['stop-recipients']));
      for (const action of ['stop', 'pause', 'brake'] as const) {
        controls[action] = await controlTrials(herald, audience, action, Number(opts.stops));
      }
    } finally {
      await herald.stop();
    }
  }

  if (opts.scale) {
    const n = Number(opts.scale);
    console.log(`scale: ${n.toLocaleString('en')} recipients on PostgreSQL`);
    const herald = await startPostgres(env, opts['database-url'], 1, 'scale');
    try {
      const audience = await herald.api.audience('scale', n);
      await measure(async () => ({ ...(await heraldRun(client, herald, audience, n)), contender: 'Herald, PostgreSQL, 1 worker (scale)' }));
    } finally {
      await herald.stop();
    }
  }

  if (opts.workers) {
    for (const workers of [1, 2]) {
      const herald = await startPostgres(env, opts['database-url'], workers, `workers-${workers}`);
      try {
        const audience = await herald.api.audience('main', N);
        await measure(async () => ({ ...(await heraldRun(client, herald, audience, N)), contender: `Herald, PostgreSQL, ${workers} worker process(es)` }));
      } finally {
        await herald.stop();
      }
    }
  }

  report(results, controls);
}

/** The upper bound: a plain loop posting every message, `C` at a time over keep-alive connections; no durability. */
async function raw(campaignId: string, n: number): Promise<Throughput> {
  const http = sinkClient(C);
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < n) await post(http, sinkUrl, campaignId, next++);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await http.close();
  return row('raw HTTP loop (no durability)', n, seconds, null, null, (await sinkStats(campaignId)).campaign!.count);
}

let naiveWorker: Child | undefined;

/** The naive Temporal design: one activity per recipient, `C` in flight, its worker in its own process. */
async function naive(client: Client, temporalAddress: string, campaignId: string, n: number): Promise<Throughput> {
  if (!naiveWorker) {
    naiveWorker = (
      await startTs(path.join(__dirname, 'naive/worker.ts'), { TEMPORAL_ADDRESS: temporalAddress, SINK_URL: sinkUrl, BENCH_CONCURRENCY: String(C) }, (l) =>
        l.includes('"ready"'),
      )
    ).child;
    cleanup.unshift(() => naiveWorker!.stop());
  }
  const rss = sampleRss([naiveWorker.pid]);
  const started = Date.now();
  const handle = await client.workflow.start('naiveCampaign', { taskQueue: 'bench-naive', workflowId: `bench-${campaignId}`, args: [campaignId, n, C] });
  await handle.result();
  const seconds = (Date.now() - started) / 1000;
  const [peak] = rss.stop();
  const events = (await handle.describe()).historyLength;
  return row('naive Temporal (activity per recipient)', n, seconds, peak!, events, (await sinkStats(campaignId)).campaign!.count);
}

/** A job queue: BullMQ on the local Redis, one job per message, `C` at a time in a worker process. */
async function bullmq(campaignId: string, n: number): Promise<Throughput> {
  const name = `herald-bench-${campaignId}-${Date.now()}`;
  const connection = { host: '127.0.0.1', port: 6379 };
  const queue = new Queue(name, { connection });
  const { child } = await startTs(path.join(__dirname, 'bullmq-worker.ts'), { BENCH_QUEUE: name, SINK_URL: sinkUrl, BENCH_CONCURRENCY: String(C) }, (l) =>
    l.includes('"ready"'),
  );
  try {
    const rss = sampleRss([child.pid]);
    const started = Date.now();
    for (let from = 0; from < n; from += 1000) {
      const jobs = Array.from({ length: Math.min(1000, n - from) }, (_, k) => ({ name: 'send', data: { campaignId, i: from + k }, opts: { removeOnComplete: true } }));
      await queue.addBulk(jobs);
    }
    let delivered = 0;
    while ((delivered = (await sinkStats(campaignId)).campaign!.count) < n) await sleep(20);
    const seconds = (Date.now() - started) / 1000;
    const [peak] = rss.stop();
    return row('BullMQ (job per message, Redis)', n, seconds, peak!, null, delivered);
  } finally {
    await child.stop();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** Herald: a campaign for `audience` sent through the API; done when its workflow (all its runs) has ended. */
async function heraldRun(client: Client, herald: Herald, audience: string, n: number): Promise<Throughput> {
  const id = await herald.api.campaign(audience, `bench ${n}`);
  const rss = sampleRss(herald.workerPids);
  const started = Date.now();
  await herald.api.call('POST', `/v1/campaigns/${id}/send`);
  await client.workflow.getHandle(campaignWorkflowId(id)).result();
  const seconds = (Date.now() - started) / 1000;
  const peak = Math.max(...rss.stop());
  const campaign = await herald.api.call<{ status: string; counts: { sent: number; planned: number } }>('GET', `/v1/campaigns/${id}`);
  if (campaign.status !== 'Finished' || campaign.counts.sent !== n) {
    throw new Error(`campaign ${id} ended ${campaign.status} with ${JSON.stringify(campaign.counts)}, expected ${n} sent`);
  }
  let events = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId = '${campaignWorkflowId(id)}'` })) events += run.historyLength;
  const label = herald.name.startsWith('embedded')
    ? `Herald, embedded store${herald.name === 'embedded' ? '' : ' (PGlite on the main thread)'} (API + worker process)`
    : 'Herald, PostgreSQL (worker process)';
  return row(label, n, seconds, peak, events, (await sinkStats(id)).campaign!.count);
}

function row(contender: string, recipients: number, seconds: number, peakRss: number | null, events: number | null, delivered: number): Throughput {
  return {
    contender,
    recipients,
    seconds,
    perSecond: recipients / seconds,
    peakRssMb: peakRss === null ? null : mb(peakRss),
    historyEventsPer100k: events === null ? null : Math.round((events / recipients) * 100_000),
    delivered,
    duplicates: 0,
  };
}

/**
 * `trials` campaigns, each sent and then stopped, paused or braked at a random moment (0.2 to 2 s after the send):
 * the time from request to response, and what the sink received of the campaign after the response.
 */
async function controlTrials(herald: Herald, audience: string, action: 'stop' | 'pause' | 'brake', trials: number): Promise<ControlSample[]> {
  const samples: ControlSample[] = [];
  for (let t = 0; t < trials; t++) {
    const id = await herald.api.campaign(audience, `${action} trial ${t}`);
    await herald.api.call('POST', `/v1/campaigns/${id}/send`);
    const waitedMs = Math.round(200 + Math.random() * 1800);
    await sleep(waitedMs);
    const sentBefore = (await sinkStats(id)).campaign!.count;
    const requested = Date.now();
    let steps: Record<string, number> | undefined;
    // Each trial must land mid-send: a campaign that finished first would measure something else.
    const missed = () => new Error(`${action} trial ${t}: the campaign had finished before the ${action} (${waitedMs} ms after the send); raise --stop-recipients`);
    if (action === 'stop') {
      const report = await herald.api.call<{ from: string; steps: { step: string; at: string }[] }>('POST', `/v1/campaigns/${id}/stop`, { confirmation: id });
      if (report.from !== 'Sending') throw missed();
      steps = Object.fromEntries(report.steps.map((s) => [s.step, Date.parse(s.at) - requested]));
    } else if (action === 'pause') {
      await herald.api.call('POST', `/v1/campaigns/${id}/pause`).catch(() => Promise.reject(missed()));
    } else {
      const brake = await herald.api.call<{ campaigns: string[] }>('POST', '/v1/account/brake', { on: true });
      if (!brake.campaigns.includes(id)) throw missed();
    }
    const answered = Date.now();
    await sleep(500);
    const afterResponse = (await sinkStats(id, answered)).campaign!.after;
    samples.push({ ms: answered - requested, afterResponse, waitedMs, sentBefore, ...(steps ? { steps } : {}) });
    // Clean up outside the measurement: nothing of this campaign should go on.
    if (action !== 'stop') await herald.api.call('POST', `/v1/campaigns/${id}/stop`, { confirmation: id }).catch(() => undefined);
    if (action === 'brake') await herald.api.call('POST', '/v1/account/brake', { on: false });
  }
  const ms = samples.map((s) => s.ms);
  console.log(`  ${action}: ${ms.join(', ')} ms; after the response: ${samples.reduce((a, s) => a + s.afterResponse, 0)}`);
  if (action === 'stop') for (const s of samples) console.log(`    steps (ms after the request): ${JSON.stringify(s.steps)}`);
  return samples;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(results: Throughput[], controls: Record<string, ControlSample[]>): void {
  const byContender = new Map<string, Throughput[]>();
  for (const r of results) byContender.set(r.contender, [...(byContender.get(r.contender) ?? []), r]);
  const median = (rows: Throughput[]) => [...rows].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rows.length / 2)]!;
  const rawRate = byContender.has('raw HTTP loop (no durability)') ? median(byContender.get('raw HTTP loop (no durability)')!).perSecond : null;
  const lines = [
    '| contender | recipients | time (s) | messages/s | % of raw | peak RSS (MB) | history events per 100k | duplicates |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [contender, rows] of byContender) {
    const m = median(rows);
    lines.push(
      `| ${contender} | ${m.recipients.toLocaleString('en')} | ${m.seconds.toFixed(2)} | ${Math.round(m.perSecond).toLocaleString('en')} | ` +
        `${rawRate ? `${Math.round((m.perSecond / rawRate) * 100)}%` : ''} | ${m.peakRssMb ?? ''} | ` +
        `${m.historyEventsPer100k?.toLocaleString('en') ?? ''} | ${rows.reduce((a, r) => a + r.duplicates, 0)} |`,
    );
  }
  if (Object.keys(controls).length > 0) {
    lines.push('', '| action | trials | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | messages after a response |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [action, samples] of Object.entries(controls)) {
      const ms = samples.map((s) => s.ms);
      lines.push(
        `| ${action} | ${samples.length} | ${percentile(ms, 50)} | ${percentile(ms, 95)} | ${percentile(ms, 99)} | ${Math.max(...ms)} | ` +
          `${samples.reduce((a, s) => a + s.afterResponse, 0)} |`,
      );
    }
  }
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  writeFileSync(file, `${JSON.stringify({ command: process.argv.slice(2), options: opts, machine, results, controls, table }, null, 2)}\n`);
  console.log(`written to ${path.relative(ROOT, file)}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const step of cleanup) await step().catch((err: unknown) => console.error(err));
  });
