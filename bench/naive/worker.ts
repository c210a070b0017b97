/** A worker for the naive design (run as its own process by the benchmark). */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: 'bench-naive',
    workflowsPath: require.resolve('./workflow'),
    activities,
    maxConcurrentActivityTaskExecutions: Number(process.env.BENCH_CONCURRENCY ?? 32),
  });
  process.once('SIGTERM', () => worker.shutdown());
  console.log(JSON.stringify({ ready: true }));
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
