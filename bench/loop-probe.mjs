/**
 * The main thread's event loop during a bench run: `NODE_OPTIONS="--import $PWD/bench/loop-probe.mjs" npm run bench -- ...`
 * appends, every 2 s, the Herald process's (src/cli/start.ts) event-loop utilisation and delay percentiles (5 ms
 * resolution, so 5 ms is the floor) to LOOP_PROBE_FILE (default /tmp/probe.log).
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.argv.some((a) => a.includes('start.ts'))) {
  const file = process.env.LOOP_PROBE_FILE ?? '/tmp/probe.log';
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let last = performance.eventLoopUtilization();
  const ms = (ns) => (ns / 1e6).toFixed(1);
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    appendFileSync(file, `${new Date().toISOString()} pid=${process.pid} elu=${elu.toFixed(2)} p50=${ms(delay.percentile(50))} p99=${ms(delay.percentile(99))} max=${ms(delay.max)}\n`);
    delay.reset();
  }, 2000).unref();
}
