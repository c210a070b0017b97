/**
 * `npm run bench:receipts`: does taking in delivery receipts slow sending? Herald on PostgreSQL as it runs in
 * production (an API process and a worker process, a Temporal dev server, the local sink as the provider), with an
 * earlier email campaign of the account recorded as handed to SendGrid. After a warm-up campaign, --rounds times:
 *   1. a campaign (SMS, through the sink) sent alone: messages/s;
 *   2. the same campaign again while receipts come at --rate receipts/s (signed SendGrid Event Webhook batches of
 *      B events, 5% hard bounces, posted to the account's real receipt route on the API process, paced: providers
 *      post receipts as messages are delivered, not as fast as the receiver takes them);
 * alternately, so that drift on a shared machine falls on both; the slowdown compares their medians. Then
 *   3. ingestion flat out alone (C requests in flight);
 *   4. ingestion paced at --rate alone: what that rate costs.
 * Each phase prints the CPU every process used (cores = CPU seconds / wall seconds), PostgreSQL backends split
 * by the process they serve. Counts are checked. Prints a table and writes JSON to bench/results/.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { request } from 'undici';
import { receiptPath } from '../src/api/receipts/receipts.routes';
import { seal } from '../src/providers/secrets';
import { openStore, type Store } from '../src/store';
import { emptyReceiptCounts, type ReceiptCounts } from '../src/store/receipts';
import { campaignWorkflowId } from '../src/workflows/definitions';
import { devServerPid, sampleCpu } from './cpu';
import { startBenchEnvironment } from './environment';
import { startPostgres, type Herald } from './herald';

const { values: opts } = parseArgs({
  options: {
    /** Receipts posted flat out in phase 2. */
    receipts: { type: 'string', default: '40000' },
    /** Receipts per second in phases 3 and 4. */
    rate: { type: 'string', default: '5000' },
    /** How long phase 3 runs. */
    'paced-seconds': { type: 'string', default: '5' },
    /** Campaigns sent alone and during ingestion, alternately. */
    rounds: { type: 'string', default: '3' },
    /** Events per webhook request. */
    batch: { type: 'string', default: '500' },
    /** Requests in flight in phase 2. */
    concurrency: { type: 'string', default: '4' },
    /** Recipients of each of the two campaigns. */
    recipients: { type: 'string', default: '10000' },
    /** HTTP requests in flight from the worker to the sink. */
    'send-concurrency': { type: 'string', default: '32' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const FLAT = Number(opts.receipts);
const RATE = Number(opts.rate);
const PACED_SECONDS = Number(opts['paced-seconds']);
const B = Number(opts.batch);
const C = Number(opts.concurrency);
const M = Number(opts.recipients);
const ROUNDS = Number(opts.rounds);

/** Signed SendGrid Event Webhook batches: `count` events from `from`, for the deliveries `r<i>`. */
function webhookBodies(from: number, count: number): string[] {
  const bodies: string[] = [];
  for (let i = from; i < from + count; i += B) {
    const events = [];
    for (let j = i; j < Math.min(from + count, i + B); j++) {
      const bounce = j % 20 === 0;
      events.push({
        email: `r${j}@example.com`,
        timestamp: Math.floor(Date.now() / 1000),
        event: bounce ? 'bounce' : 'delivered',
        ...(bounce ? { type: 'bounce', reason: '550 5.1.1 unknown user' } : {}),
        sg_event_id: `ev${j}`,
        sg_message_id: `sgr${j}.filterdrecv-1`,
      });
    }
    bodies.push(JSON.stringify(events));
  }
  return bodies;
}

/** Posts one signed batch to the receipt route; throws unless 200. */
async function post(url: string, privateKey: KeyObject, body: string): Promise<void> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
    body,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`receipt route answered ${res.statusCode}: ${text}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** One measured phase. */
interface Phase {
  phase: string;
  seconds: number;
  messagesPerSecond: number | null;
  receiptsPerSecond: number | null;
  /** CPU cores used per process (CPU seconds / wall seconds). */
  cores: Record<string, number>;
}

async function main(): Promise<void> {
  console.log(`receipts bench: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const { temporalAddress, client, workflowBundle, sinkUrl, sinkPid } = await startBenchEnvironment(cleanup);

    const herald: Herald = await startPostgres(
      { temporalAddress, sinkUrl, concurrency: Number(opts['send-concurrency']), workflowBundle },
      opts['database-url'],
    );
    cleanup.unshift(() => herald.stop());
    const { apiPid, accountId, databaseUrl, secretsKey } = herald.postgres!;
    const store = await openStore({ databaseUrl });
    cleanup.unshift(() => store.close());
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    cleanup.unshift(() => admin.end());
    const database = new URL(databaseUrl).pathname.slice(1);

    // The account's email goes to SendGrid (its receipts are what comes in); SMS goes to the sink (what is sent).
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await store.putProviderSettings(accountId, {
      channel: 'email',
      kind: 'sendgrid',
      config: { baseUrl: 'http://127.0.0.1:1', from: 'bench@acme.test', eventWebhookPublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') },
      sealedSecrets: seal({ apiKey: 'SG.bench-key' }, secretsKey),
    });
    const audience = await herald.api.audience('send', M);
    const processes = { 'API process': apiPid, 'worker process': herald.workerPids[0]!, 'Temporal server': devServerPid(temporalAddress.split(':').pop()!), sink: sinkPid, 'bench (load)': process.pid };
    const phases: Phase[] = [];
    const measure = async (phase: string, run: () => Promise<{ messages?: number; receipts?: number }>) => {
      const cpu = sampleCpu(processes, admin, database);
      const started = process.hrtime.bigint();
      const done = await run();
      const wall = seconds(started);
      const split = await cpu.stop();
      const row: Phase = {
        phase,
        seconds: Math.round(wall * 100) / 100,
        messagesPerSecond: done.messages === undefined ? null : Math.round(done.messages / wall),
        receiptsPerSecond: done.receipts === undefined ? null : Math.round(done.receipts / wall),
        cores: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round((v / wall) * 100) / 100])),
      };
      phases.push(row);
      console.log(`  ${phase}: ${row.seconds} s, ${row.messagesPerSecond ?? '-'} messages/s, ${row.receiptsPerSecond ?? '-'} receipts/s`);
      return row;
    };
    const sendCampaign = async (name: string) => {
      const id = await herald.api.campaign(audience, name, ['sms']);
      await herald.api.call('POST', `/v1/campaigns/${id}/send`);
      await client.workflow.getHandle(campaignWorkflowId(id)).result();
      const c = await herald.api.call<{ status: string; counts: { sent: number } }>('GET', `/v1/campaigns/${id}`);
      if (c.status !== 'Finished' || c.counts.sent !== M) throw new Error(`campaign ${name} ended ${c.status} with ${JSON.stringify(c.counts)}`);
      return M;
    };
    /** Posts batches at RATE receipts/s (open loop: a late answer does not delay the next post) until `done`. */
    const pace = async (done: () => boolean) => {
      const started = Date.now();
      const first = nextBody;
      const inFlight: Promise<void>[] = [];
      while (!done()) {
        if (nextBody >= bodies.length) {
          // The table shows the receipts/s that came; this phase fell short of RATE for its last part.
          console.log('  (ran out of receipts: this campaign took over twice as long as the one before)');
          break;
        }
        const due = started + ((nextBody - first) * B * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
        else inFlight.push(post(url, privateKey, bodies[nextBody++]!));
      }
      await Promise.all(inFlight);
      return (nextBody - first) * B;
    };

    const warm = await measure('0. warm-up campaign (not compared)', async () => ({ messages: await sendCampaign('warm-up') }));

    // Sent emails to take receipts for, topped up before each paced phase (for twice the last campaign's time).
    const url = herald.api.base + receiptPath('sendgrid', await store.receipts.endpointToken(accountId, 'sendgrid'));
    const seeded: string[] = [];
    const bodies: string[] = [];
    const topUp = async (seconds: number) => {
      const need = Math.ceil((RATE * seconds) / B) * B - (bodies.length - nextBody) * B;
      if (need <= 0) return;
      const from = bodies.length * B;
      const started = Date.now();
      seeded.push(await seedSentEmails(store, accountId, from, need));
      await store.analyzeDeliveries();
      bodies.push(...webhookBodies(from, need));
      console.log(`  (${need} more emails recorded as handed to SendGrid in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    };
    let nextBody = 0;
    await topUp(FLAT / RATE);
    nextBody = Math.ceil(FLAT / B);
    let last = warm.seconds;

    const alone: number[] = [];
    const during: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const before = await measure(`1.${r} campaign alone`, async () => ({ messages: await sendCampaign(`alone ${r}`) }));
      alone.push(before.messagesPerSecond!);
      await topUp(2 * Math.max(last, before.seconds));
      const row = await measure(`2.${r} campaign while receipts come at ${RATE}/s`, async () => {
        let sent = false;
        const [messages, receipts] = await Promise.all([sendCampaign(`during ${r}`).finally(() => (sent = true)), pace(() => sent)]);
        return { messages, receipts };
      });
      during.push(row.messagesPerSecond!);
      last = row.seconds;
    }
    const flatFrom = nextBody;
    nextBody = 0;
    await measure('3. ingestion flat out alone', async () => {
      const first = nextBody;
      const last = Math.ceil(FLAT / B);
      await Promise.all(
        Array.from({ length: C }, async () => {
          while (nextBody < last) await post(url, privateKey, bodies[nextBody++]!);
        }),
      );
      return { receipts: (last - first) * B };
    });
    nextBody = flatFrom;
    await topUp(PACED_SECONDS + 1);
    await measure(`4. ingestion paced at ${RATE}/s alone`, async () => {
      const until = Date.now() + PACED_SECONDS * 1000;
      return { receipts: await pace(() => Date.now() >= until) };
    });

    // Every receipt posted is counted once.
    const counts = emptyReceiptCounts();
    for (const c of (await store.receipts.countsOf(seeded)).values()) for (const k of Object.keys(counts) as (keyof ReceiptCounts)[]) counts[k] += c.total[k];
    const posted = nextBody * B;
    if (counts.delivered + counts.bounced !== posted) throw new Error(`counts do not add up: ${JSON.stringify(counts)} for ${posted} receipts`);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const slowdown = Math.round((1 - median(during) / median(alone)) * 1000) / 10;
    const labels = [...new Set(phases.flatMap((p) => Object.keys(p.cores)))];
    console.log(`\n| phase | seconds | messages/s | receipts/s | ${labels.join(' | ')} | all |`);
    console.log(`| --- | --- | --- | --- | ${labels.map(() => '---').join(' | ')} | --- |`);
    for (const p of phases) {
      const all = Object.values(p.cores).reduce((a, b) => a + b, 0);
      console.log(`| ${p.phase} | ${p.seconds} | ${p.messagesPerSecond ?? ''} | ${p.receiptsPerSecond ?? ''} | ${labels.map((l) => p.cores[l] ?? 0).join(' | ')} | ${all.toFixed(2)} |`);
    }
    console.log(
      `\nCPU in cores (CPU seconds / wall seconds) of ${os.cpus().length}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}. ` +
        `Sending alone ${median(alone)} messages/s, while receipts came at ${RATE}/s ${median(during)} messages/s (medians of ${ROUNDS}): ` +
        `slowed by ${slowdown}%. Counts ${JSON.stringify(counts)}.`,
    );
    const paced = phases.at(-1)!;
    const ingestCores = (paced.cores['API process'] ?? 0) + (paced.cores['postgres (herald-api)'] ?? 0);
    console.log(
      `Ingestion at ${paced.receiptsPerSecond}/s alone: ${ingestCores.toFixed(2)} cores (API process and its PostgreSQL backends), ` +
        `${Math.round((ingestCores / os.cpus().length) * 100)}% of the machine, ${Math.round((ingestCores / paced.receiptsPerSecond!) * 1e6)} µs of CPU per receipt.`,
    );
    const at = new Date().toISOString();
    const results = path.join(__dirname, 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(
      path.join(results, `receipts-${at.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify({ at, cores: os.cpus().length, loadAverage: os.loadavg(), batch: B, concurrency: C, rate: RATE, recipients: M, phases, slowdownPercent: slowdown, ingestionCores: ingestCores, counts }, null, 2)}\n`,
    );
  } finally {
    for (const step of cleanup) await step().catch((err: unknown) => console.error(err));
  }
}

/** An email campaign whose `n` deliveries (contacts `r<from>`...) were handed to SendGrid as `sgr<i>`; returns its id. */
async function seedSentEmails(store: Store, accountId: string, from: number, n: number): Promise<string> {
  const set = `receipts-${from}`;
  for (let i = from; i < from + n; i += 10_000) {
    const contacts = Array.from({ length: Math.min(10_000, from + n - i) }, (_, j) => ({
      id: `r${i + j}`,
      email: `r${i + j}@example.com`,
      pushTokens: [],
      webPushSubscriptions: [],
      attributes: { set },
      suppressed: [],
    }));
    await store.upsertContacts(accountId, contacts);
  }
  const audience = await store.createAudience(accountId, set, { type: 'filter', all: [{ attribute: 'set', op: 'eq', value: set }] });
  const campaign = await store.createCampaign(accountId, { name: set, audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
  const now = new Date();
  for (let cursor: number | null = 0; cursor !== null; ) cursor = (await store.planPage(campaign, cursor, 10_000, now)).nextCursor;
  for (;;) {
    const key = `seed${randomBytes(4).toString('hex')}`;
    const claimed = await store.claimLease(campaign.id, 'email', key, 5_000, now);
    if (claimed.length === 0) break;
    await store.recordResults(campaign, claimed.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent' as const, providerMessageId: `sg${d.contact.id}` })));
    await store.releaseLease(campaign.id, key);
  }
  return campaign.id;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
