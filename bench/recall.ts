/**
 * `npm run bench:recall`: how many requests a stop makes of a Twilio-style provider after its answer, and what
 * they bring back. Herald on PostgreSQL (an API process and a worker process, a Temporal dev server) sends a
 * campaign of --recipients SMS through the Twilio emulator of the tests (messages stay `queued`, and cancellable,
 * for --queue-ms before they go out). Each trial stops a campaign at a random 10-60 % of its send, then counts:
 *   - messages the emulator took after the answer (must be 0);
 *   - cancel requests (`Status=canceled`) it received, against the SMS handed over;
 *   - the report's recall step (asked, cancelled, too late) and the books: sent + notSent + failed + inDoubt =
 *     planned, and Herald's sent = the messages that went out at the emulator.
 * Two modes: `callbacks` (the settings' default: Twilio posts signed `sent`/`delivered` status callbacks to the
 * account's receipt route, so Herald knows what has left) and `none` (no callbacks: every message answered `queued`
 * stays recallable in Herald's view while its cancel window lasts). `--receipts-process`: the callbacks go to an
 * API process of their own (API_ROUTES=receipts) and the stop to another (API_ROUTES=control). Writes JSON to
 * bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { DeliveryCounts } from '../src/domain/types';
import { campaignWorkflowId } from '../src/workflows/definitions';
import { startTwilioEmulator } from '../test/emulators/twilio';
import { startBenchEnvironment } from './environment';
import { startPostgres } from './herald';

const { values: opts } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    trials: { type: 'string', default: '3' },
    /** How long the emulator keeps each message queued (cancellable) before it goes out. */
    'queue-ms': { type: 'string', default: '1000' },
    modes: { type: 'string', default: 'callbacks,none' },
    /** Receipts go to an API process of their own (API_ROUTES=receipts), the stop to one that serves the rest. */
    'receipts-process': { type: 'boolean', default: false },
    'send-concurrency': { type: 'string', default: '32' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const M = Number(opts.recipients);
const TRIALS = Number(opts.trials);
const QUEUE_MS = Number(opts['queue-ms']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Report {
  from: string;
  requestedAt: string;
  answeredAt: string;
  completedAt: string | null;
  steps: { step: string; result: string; counts?: Record<string, number> }[];
  counts: DeliveryCounts;
}

/** One stopped campaign. */
interface Trial {
  mode: string;
  share: number;
  answerMs: number;
  /** When the workflow had the stop and when it answered, in ms after the request (workflow clocks). */
  phases: { received: number; answered: number };
  /** SMS the emulator had taken when the stop answered. */
  handedOver: number;
  afterAnswer: number;
  cancelRequests: number;
  recall: Record<string, number>;
  counts: DeliveryCounts;
  /** Messages that went out at the emulator (queue time over, not cancelled). */
  wentOut: number;
  exact: boolean;
}

async function main(): Promise<void> {
  console.log(`recall bench: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const cleanup: (() => Promise<unknown>)[] = [];
  const trials: Trial[] = [];
  try {
    const { temporalAddress, client, workflowBundle, sinkUrl } = await startBenchEnvironment(cleanup);
    const herald = await startPostgres(
      { temporalAddress, sinkUrl, concurrency: Number(opts['send-concurrency']), workflowBundle, receiptsProcess: opts['receipts-process'] },
      opts['database-url'],
    );
    cleanup.unshift(() => herald.stop());
    const twilio = await startTwilioEmulator();
    cleanup.unshift(() => twilio.close());
    twilio.queueMs = QUEUE_MS;
    const audience = await herald.api.audience('recall', M);
    /** The receipt route's answers to the emulator's status callbacks, by HTTP status. */
    const callbackAnswers: Record<number, number> = {};
    for (const mode of opts.modes.split(',')) {
      // The API sets the receipt route as statusCallback when the settings name none; the emulator posts to it or not.
      twilio.callbacks =
        mode === 'callbacks'
          ? (url, body, headers) =>
              request(url, { method: 'POST', headers, body }).then(async (r) => {
                callbackAnswers[r.statusCode] = (callbackAnswers[r.statusCode] ?? 0) + 1;
                await r.body.dump();
              })
          : undefined;
      await herald.api.call('PUT', '/v1/providers/sms', {
        kind: 'twilio',
        config: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, from: '+15005550006', concurrency: 32 },
        secrets: { authToken: twilio.authToken },
      });
      for (let t = 0; t < TRIALS; t++) {
        const before = new Set(twilio.messages.keys());
        const cancelsBefore = twilio.cancelRequests;
        const id = await herald.api.campaign(audience, `recall ${mode} ${t}`, ['sms']);
        await herald.api.call('POST', `/v1/campaigns/${id}/send`);
        const share = 0.1 + Math.random() * 0.5;
        while (twilio.messages.size - before.size < M * share) await sleep(10);
        const requested = Date.now();
        const answer = await herald.api.call<Report>('POST', `/v1/campaigns/${id}/stop`, { confirmation: id });
        const answered = Date.now();
        if (answer.from !== 'Sending') throw new Error(`trial ${t}: the campaign was ${answer.from}`);
        const handedOver = twilio.messages.size - before.size;

        let report: Report;
        for (;;) {
          report = await herald.api.call<Report>('GET', `/v1/campaigns/${id}/report`);
          if (report.completedAt) break;
          await sleep(200);
        }
        await client.workflow.getHandle(campaignWorkflowId(id)).result();
        // Every message still queued at the emulator has gone out or been cancelled by now.
        await sleep(QUEUE_MS + 500);
        const mine = [...twilio.messages.entries()].filter(([sid]) => !before.has(sid)).map(([, m]) => m);
        const counts = (await herald.api.call<{ counts: DeliveryCounts }>('GET', `/v1/campaigns/${id}`)).counts;
        const wentOut = mine.filter((m) => m.status !== 'canceled').length;
        const trial: Trial = {
          mode,
          share: Math.round(share * 100) / 100,
          answerMs: answered - requested,
          phases: { received: Date.parse(answer.requestedAt) - requested, answered: Date.parse(answer.answeredAt) - requested },
          handedOver,
          afterAnswer: mine.filter((m) => m.queuedUntil - QUEUE_MS > answered).length,
          cancelRequests: twilio.cancelRequests - cancelsBefore,
          recall: report.steps.find((s) => s.step === 'provider_cancellation')?.counts ?? {},
          counts,
          wentOut,
          exact: counts.sent + counts.notSent + counts.failed + counts.inDoubt === counts.planned && counts.planned === M && counts.sent === wentOut,
        };
        trials.push(trial);
        console.log(
          `  ${mode} ${t + 1}/${TRIALS} at ${Math.round(share * 100)} %: answer ${trial.answerMs} ms ${JSON.stringify(trial.phases)}, ${handedOver} handed over, ` +
            `${trial.afterAnswer} after the answer, ${trial.cancelRequests} cancel requests, recall ${JSON.stringify(trial.recall)}, ` +
            `sent ${counts.sent} (went out ${wentOut}), notSent ${counts.notSent}, books ${trial.exact ? 'exact' : 'NOT EXACT'}` +
            (mode === 'callbacks' ? `; status callbacks answered ${JSON.stringify(callbackAnswers)}` : ''),
        );
      }
    }
  } finally {
    for (const c of cleanup) await c().catch((err: unknown) => console.error(err));
  }
  console.log('\n| mode | trials | SMS handed over (mean) | cancel requests (mean) | cancelled (mean) | after the answer | books exact |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const mode of new Set(trials.map((t) => t.mode))) {
    const of = trials.filter((t) => t.mode === mode);
    const mean = (f: (t: Trial) => number) => Math.round(of.reduce((s, t) => s + f(t), 0) / of.length);
    console.log(
      `| ${mode} | ${of.length} | ${mean((t) => t.handedOver)} | ${mean((t) => t.cancelRequests)} | ${mean((t) => t.recall.cancelled ?? 0)} | ` +
        `${of.reduce((s, t) => s + t.afterAnswer, 0)} | ${of.filter((t) => t.exact).length} of ${of.length} |`,
    );
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `recall-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, recipients: M, queueMs: QUEUE_MS, receiptsProcess: opts['receipts-process'], trials }, null, 1));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
