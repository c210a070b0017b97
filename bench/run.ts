/**
 * `npm run bench`: Herald side by side with a plain HTTP loop (the upper bound), the naive Temporal design (one
 * activity per recipient) and a job queue (BullMQ on the local Redis), all posting the same messages with the same
 * concurrency to the same local sink process; then the latency of stop, pause and the account brake at random
 * moments of a running campaign, and what the sink received after each answer; an account's provider rate held by
 * two workers (the most the sink received in any second), and what sharing the rate costs; optionally a large
 * campaign and two workers. Everything it needs it starts itself. Prints markdown tables and writes JSON to bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { Queue } from 'bullmq';
import pg from 'pg';
import { campaignWorkflowId } from '../src/workflows/definitions';
import { startEmbedded, startPostgres, type Herald, type HeraldEnv } from './herald';
import { channelsTrial, type ChannelsRow } from './channels';
import { devServerPid, sampleCpu } from './cpu';
import { startBenchEnvironment } from './environment';
import { holdTrials, percentile, stopTrials, type HoldSample, type SinkStats, type StopSample } from './controls';
import { post, sinkClient } from './message';
import { sampleRss, startTs, type Child } from './processes';
import { sinkStats as readSinkStats } from './sink';

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
    'stop-sizes': { type: 'string', default: '10000,100000' },
    'large-stops': { type: 'string', default: '5' },
    'large-shares': { type: 'string', default: '1-6' },
    'slow-stops': { type: 'string', default: '8' },
    'hold-recipients': { type: 'string', default: '10000' },
    'provider-ms': { type: 'string', default: '5' },
    'stop-stores': { type: 'string' },
    'channel-recipients': { type: 'string', default: '20000' },
    only: { type: 'string', default: [...CONTENDERS, 'stops', 'channels', 'shared-rate'].join(',') },
    rate: { type: 'string', default: '200' },
    'overhead-rate': { type: 'string', default: '5000' },
    scale: { type: 'string' },
    workers: { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
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
  --stops K              stops per size and store, pauses and brakes, at random 10-60 % of a send (default 20; 0 skips
                         them, leaving the slow-provider trials)
  --stop-sizes LIST      recipients of the campaigns stopped (default 10000,100000; add 1000000 for the large trial)
  --large-stops K        stops at sizes of 1,000,000 and more (default 5)
  --large-shares A-B     the random share (%) of the send at which those are stopped (default 1-6: 10,000-60,000 of a
                         million sent, so a trial takes a minute; 10-60 takes about 3 minutes a trial on PostgreSQL)
  --slow-stops K         stops of 3,000 x SMS + email behind an 800 ms provider, per store (default 8; 0 skips)
  --hold-recipients N    recipients of each of the 3 campaigns sending during a pause or brake (default 10000)
  --provider-ms MS       the sink's answer time for stop, pause and brake trials (default 5)
  --stop-stores LIST     stores for the control trials (default: --stores)
  --only LIST            any of raw,naive,bullmq,herald,stops,channels,shared-rate (default all)
  --channel-recipients N SMS alone and beside an SMTP email channel, N each (default 20000; PostgreSQL)
  --rate R               shared-rate: the account provider's ratePerSecond, 2 workers, R x 10 messages (default 200)
  --overhead-rate R      shared-rate: one worker sends --recipients without a rate and at R/s (default 5000)
  --scale N              also send one campaign of N recipients on PostgreSQL (e.g. 1000000)
  --workers              also compare one and two worker processes on PostgreSQL
  --compiled             Herald on PostgreSQL runs compiled JavaScript (dist/, built if stale) as in production
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
  /** Herald: CPU microseconds per message of each process during the send (PostgreSQL backends by the process served). */
  cpuUsPerMessage?: Record<string, number>;
  note?: string;
}

const cleanup: (() => Promise<unknown>)[] = [];
let sinkUrl = '';
/** The processes beside Herald's own whose CPU a throughput run counts. */
let machine: { temporalPid: number | null; sinkPid: number } = { temporalPid: null, sinkPid: 0 };

/** The sink process's /stats (see bench/sink.ts). */
const sinkStats = (campaignId?: string, after?: number, perSecond = false) => readSinkStats(sinkUrl, campaignId, after, perSecond);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function main(): Promise<void> {
  console.log(`Herald benchmark: ${N.toLocaleString('en')} recipients, concurrency ${C}, ${os.cpus().length} cores, Node ${process.version}`);
  const { temporalAddress, client, workflowBundle, sinkUrl: url, sinkPid } = await startBenchEnvironment(cleanup);
  sinkUrl = url;
  machine = { temporalPid: devServerPid(temporalAddress.split(':').pop()!), sinkPid };

  if (opts.compiled && spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' }).status !== 0) {
    throw new Error('npm run build failed');
  }
  const env: HeraldEnv = {
    temporalAddress,
    sinkUrl,
    concurrency: C,
    workflowBundle,
    compiled: opts.compiled,
    ...(opts['worker-node-options'] ? { workerNodeOptions: opts['worker-node-options'] } : {}),
  };

  const results: Throughput[] = [];
  const stopRows: StopRow[] = [];
  const holdRows: HoldRow[] = [];
  const rateRows: RateRow[] = [];
  const measure = async (run: () => Promise<Throughput>) => {
    const duplicatesBefore = (await sinkStats()).duplicates;
    const row = await run();
    row.duplicates = (await sinkStats()).duplicates - duplicatesBefore;
    results.push(row);
    console.log(`  ${row.contender}: ${row.recipients} in ${row.seconds.toFixed(2)} s = ${Math.round(row.perSecond)}/s`);
    if (row.cpuUsPerMessage) {
      const parts = Object.entries(row.cpuUsPerMessage).sort((a, b) => b[1] - a[1]);
      const all = parts.reduce((sum, [, us]) => sum + us, 0);
      console.log(`    CPU per message: ${all} µs (${parts.map(([k, us]) => `${k} ${us}`).join(', ')})`);
    }
  };

  for (let r = 1; r <= RUNS; r++) {
    console.log(`run ${r} of ${RUNS}`);
    if (only.has('raw')) await measure(() => raw(`raw-${r}`, N));
    if (only.has('naive')) await measure(() => naive(client, temporalAddress, `naive-${r}`, Number(opts['naive-recipients'])));
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

  if (only.has('stops') && (Number(opts.stops) > 0 || Number(opts['slow-stops']) > 0)) {
    const sink: SinkStats = async (campaignId, after) => (await sinkStats(campaignId, after)).campaign!;
    for (const store of opts['stop-stores']?.split(',').filter(Boolean) ?? stores) {
      for (const [latency, sizes] of [
        [Number(opts['provider-ms']), Number(opts.stops) > 0 ? opts['stop-sizes'].split(',').map(Number) : []],
        [800, Number(opts['slow-stops']) > 0 ? [3_000] : []],
      ] as const) {
        if (sizes.length === 0) continue;
        console.log(`stop, pause and brake at random moments (Herald on ${store}, provider ${latency} ms)`);
        const start = store === 'embedded' ? startEmbedded : (e: HeraldEnv) => startPostgres(e, opts['database-url']);
        const herald = await start({ ...env, providerLatencyMs: latency });
        try {
          for (const size of sizes) {
            const audience = await herald.api.audience(`trial${size}`, size);
            const trials = latency === 800 ? Number(opts['slow-stops']) : size >= 1_000_000 ? Number(opts['large-stops']) : Number(opts.stops);
            // SMS + email like a real campaign; a million recipients on email alone (a million rows planned per trial).
            const channels: ('email' | 'sms')[] = size >= 1_000_000 ? ['email'] : ['email', 'sms'];
            console.log(`  stops of ${size.toLocaleString('en')} x ${channels.join(' + ')}`);
            const [low, high] = (size >= 1_000_000 ? opts['large-shares'] : '10-60').split('-').map((p) => Number(p) / 100) as [number, number];
            const samples = await stopTrials(herald, sink, audience, size, channels, trials, [low, high]);
            stopRows.push({ store, latency, size, channels: channels.join(' + '), shares: `${low * 100}-${high * 100} %`, samples });
          }
          if (latency !== 800) {
            const audience = await herald.api.audience('hold', Number(opts['hold-recipients']));
            for (const action of ['pause', 'brake'] as const) {
              console.log(`  ${action} with 3 campaigns sending`);
              holdRows.push({ store, action, samples: await holdTrials(herald, sink, audience, Number(opts['hold-recipients']), action, Number(opts.stops)) });
            }
          }
        } finally {
          await herald.stop();
        }
      }
    }
  }

  let channels: ChannelsRow | undefined;
  if (only.has('channels')) {
    console.log('channels: SMS alone and beside an SMTP email channel (Herald on PostgreSQL)');
    const herald = await startPostgres(env, opts['database-url'], 1, 'channels');
    try {
      const n = Number(opts['channel-recipients']);
      const audience = await herald.api.audience('channels', n);
      const sinkCount = async (id: string) => (await sinkStats(id)).campaign!;
      channels = await channelsTrial(herald, sinkUrl, sinkCount, audience, n, C, (smtpPid) => cpuOfRun(herald, { 'SMTP server': smtpPid }));
    } finally {
      await herald.stop();
    }
  }

  if (only.has('shared-rate')) {
    const rate = Number(opts.rate);
    const overhead = Number(opts['overhead-rate']);
    console.log(`shared rate: ${rate}/s with 2 workers on PostgreSQL; then 1 worker without a rate and at ${overhead}/s`);
    const two = await startPostgres(env, opts['database-url'], 2, 'rate-2');
    try {
      rateRows.push(await rateRun(client, two, 2, rate * 10, rate, 'two'));
    } finally {
      await two.stop();
    }
    const one = await startPostgres(env, opts['database-url'], 1, 'rate-1');
    try {
      // Twice each, in turn: the first campaign of a fresh worker is slower (a cold JIT and cache), whichever it is.
      for (const [i, rate] of [undefined, overhead, undefined, overhead].entries()) rateRows.push(await rateRun(client, one, 1, N, rate, `${i}`));
    } finally {
      await one.stop();
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

  report(results, stopRows, holdRows, rateRows, channels);
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
  const cpu = await cpuOfRun(herald);
  const started = Date.now();
  await herald.api.call('POST', `/v1/campaigns/${id}/send`);
  await client.workflow.getHandle(campaignWorkflowId(id)).result();
  const seconds = (Date.now() - started) / 1000;
  const peak = Math.max(...rss.stop());
  const cpuUs = await cpu.stop(n);
  const campaign = await herald.api.call<{ status: string; counts: { sent: number; planned: number } }>('GET', `/v1/campaigns/${id}`);
  if (campaign.status !== 'Finished' || campaign.counts.sent !== n) {
    throw new Error(`campaign ${id} ended ${campaign.status} with ${JSON.stringify(campaign.counts)}, expected ${n} sent`);
  }
  let events = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId = '${campaignWorkflowId(id)}'` })) events += run.historyLength;
  const label = herald.name.startsWith('embedded')
    ? `Herald, embedded store${herald.name === 'embedded' ? '' : ' (PGlite on the main thread)'} (API + worker process)`
    : 'Herald, PostgreSQL (worker process)';
  return { ...row(label, n, seconds, peak, events, (await sinkStats(id)).campaign!.count), cpuUsPerMessage: cpuUs };
}

/**
 * Samples the CPU of a Herald run's processes, the Temporal server and the sink (and on PostgreSQL the backends of
 * Herald's database); `stop(n)` gives microseconds per message for `n` messages.
 */
async function cpuOfRun(herald: Herald, more: Record<string, number> = {}): Promise<{ stop(n: number): Promise<Record<string, number>> }> {
  const processes: Record<string, number | null> = { 'Temporal server': machine.temporalPid, sink: machine.sinkPid, ...more };
  herald.workerPids.forEach((pid, i) => (processes[herald.workerPids.length > 1 ? `worker ${i + 1}` : herald.postgres ? 'worker' : 'Herald (API + worker)'] = pid));
  let admin: pg.Client | undefined;
  if (herald.postgres) {
    processes.API = herald.postgres.apiPid;
    admin = new pg.Client({ connectionString: herald.postgres.databaseUrl });
    await admin.connect();
  }
  const database = herald.postgres ? new URL(herald.postgres.databaseUrl).pathname.slice(1) : '';
  const sampler = sampleCpu(processes, admin, database);
  return {
    async stop(n) {
      const split = await sampler.stop();
      await admin?.end();
      return Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round((v / n) * 1e6)]));
    },
  };
}

/** One campaign of the shared-rate trial: the most the sink received in any one second. */
interface RateRow {
  workers: number;
  ratePerSecond: number | null;
  recipients: number;
  seconds: number;
  perSecond: number;
  maxInAnySecond: number;
}

/**
 * A campaign of `n` emails (contacts `rate<set>...`) through the account's own webhook provider (at `rate`, or
 * without one), `C` requests in flight, on a Herald with `workers` worker processes.
 */
async function rateRun(client: Client, herald: Herald, workers: number, n: number, rate: number | undefined, set: string): Promise<RateRow> {
  await herald.api.call('PUT', '/v1/providers/email', { kind: 'webhook', config: { url: sinkUrl, concurrency: C, ...(rate ? { ratePerSecond: rate } : {}) } });
  const audience = await herald.api.audience(`rate${set}`, n);
  const id = await herald.api.campaign(audience, `rate ${rate ?? 'none'}`);
  const started = Date.now();
  await herald.api.call('POST', `/v1/campaigns/${id}/send`);
  await client.workflow.getHandle(campaignWorkflowId(id)).result();
  const seconds = (Date.now() - started) / 1000;
  const stats = (await sinkStats(id, undefined, true)).campaign!;
  const campaign = await herald.api.call<{ status: string; counts: { sent: number } }>('GET', `/v1/campaigns/${id}`);
  if (campaign.counts.sent !== n || stats.count !== n) {
    throw new Error(`campaign ${id} ended ${campaign.status} with ${JSON.stringify(campaign.counts)}; the sink received ${stats.count} of ${n}`);
  }
  const result = { workers, ratePerSecond: rate ?? null, recipients: n, seconds, perSecond: n / seconds, maxInAnySecond: stats.maxInAnySecond! };
  console.log(`  ${workers} worker(s), rate ${rate ?? 'none'}: ${n} in ${seconds.toFixed(2)} s = ${Math.round(result.perSecond)}/s, at most ${result.maxInAnySecond} in any second`);
  return result;
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

/** The stop trials of one store, provider latency and size. */
interface StopRow {
  store: string;
  latency: number;
  size: number;
  channels: string;
  /** The share of the send at which the trials stopped. */
  shares: string;
  samples: StopSample[];
}

/** The pause or brake trials of one store. */
interface HoldRow {
  store: string;
  action: 'pause' | 'brake';
  samples: HoldSample[];
}

function report(results: Throughput[], stopRows: StopRow[], holdRows: HoldRow[], rateRows: RateRow[], channels?: ChannelsRow): void {
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
  if (stopRows.length > 0) {
    lines.push(
      '',
      '| stop | provider | recipients | stopped at | trials | answer p50 (ms) | p99 (ms) | max (ms) | messages after the answer | work after the answer, p50 (s) | notSent rows/s, p50 | books exact |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of stopRows) {
      const ms = r.samples.map((s) => s.ms);
      const rates = r.samples.map((s) => s.notSentPerSecond).filter((x): x is number => x !== null);
      lines.push(
        `| ${r.store} | ${r.latency} ms | ${r.size.toLocaleString('en')} x ${r.channels} | ${r.shares} | ${r.samples.length} | ${percentile(ms, 50)} | ${percentile(ms, 99)} | ` +
          `${Math.max(...ms)} | ${r.samples.reduce((a, s) => a + s.afterAnswer, 0)} | ` +
          `${(percentile(r.samples.map((s) => s.completeMs - s.ms), 50) / 1000).toFixed(1)} | ${rates.length ? percentile(rates, 50).toLocaleString('en') : ''} | ` +
          `${r.samples.filter((s) => s.exact).length} of ${r.samples.length} |`,
      );
    }
  }
  if (holdRows.length > 0) {
    lines.push('', '| 3 campaigns sending | store | trials | p50 (ms) | p99 (ms) | max (ms) | messages after the answer |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of holdRows) {
      const ms = r.samples.map((s) => s.ms);
      lines.push(
        `| ${r.action} | ${r.store} | ${r.samples.length} | ${percentile(ms, 50)} | ${percentile(ms, 99)} | ${Math.max(...ms)} | ` +
          `${r.samples.reduce((a, s) => a + s.afterAnswer, 0)} |`,
      );
    }
  }
  if (channels) {
    lines.push(
      '',
      '| SMS (PostgreSQL) | alone (s) | beside SMTP email (s) | ratio | emails by then | books exact after a stop |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      `| ${channels.recipients.toLocaleString('en')} | ${channels.smsAloneSeconds.toFixed(1)} | ${channels.smsBesideEmailSeconds.toFixed(1)} | ` +
        `${(channels.smsBesideEmailSeconds / channels.smsAloneSeconds).toFixed(2)}x | ${channels.emailsByThen.toLocaleString('en')} | ${channels.exact ? 'yes' : 'NO'} |`,
    );
  }
  if (rateRows.length > 0) {
    lines.push('', '| account provider rate | workers | recipients | time (s) | messages/s | most in any second |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rateRows) {
      lines.push(
        `| ${r.ratePerSecond === null ? 'none' : `${r.ratePerSecond.toLocaleString('en')}/s (shared)`} | ${r.workers} | ${r.recipients.toLocaleString('en')} | ` +
          `${r.seconds.toFixed(2)} | ${Math.round(r.perSecond).toLocaleString('en')} | ${r.maxInAnySecond.toLocaleString('en')} |`,
      );
    }
  }
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  writeFileSync(file, `${JSON.stringify({ command: process.argv.slice(2), options: opts, machine, results, stops: stopRows, holds: holdRows, rates: rateRows, channels, table }, null, 2)}\n`);
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
