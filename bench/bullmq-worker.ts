/** The job-queue contender: a BullMQ worker on the local Redis, one job per message (run as its own process). */
import { Worker } from 'bullmq';
import { post, sinkClient } from './message';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const http = sinkClient(concurrency);
const worker = new Worker<{ campaignId: string; i: number }>(
  process.env.BENCH_QUEUE!,
  (job) => post(http, process.env.SINK_URL!, job.data.campaignId, job.data.i),
  { connection: { host: '127.0.0.1', port: 6379 }, concurrency, removeOnComplete: { count: 0 } },
);
worker.on('ready', () => console.log(JSON.stringify({ ready: true })));
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
