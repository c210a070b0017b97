/**
 * A small run of `npm run bench`, so the benchmark keeps working: every contender sends a few hundred messages
 * to the sink, then one stop, pause and brake each on PostgreSQL, on campaigns large enough that they land
 * mid-send (the bench fails by itself if one does not). Timing is
 * not asserted here (shared machines are noisy): only that it ran, printed its tables and sent nothing twice or
 * after a control response.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

test('npm run bench runs every contender and the control trials, with no duplicate and nothing after a response', () => {
  const args = [
    ...['--import', 'tsx', 'bench/run.ts', '--recipients', '400', '--naive-recipients', '100', '--stores', 'embedded,postgres'],
    ...['--stops', '1', '--stop-sizes', '5000', '--slow-stops', '0', '--hold-recipients', '4000', '--stop-stores', 'postgres'],
    ...['--channel-recipients', '300'],
    ...['--rate', '50', '--overhead-rate', '5000'],
  ];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, LOG_LEVEL: 'WARN' } });
  expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });

  const written = /written to (bench\/results\/\S+\.json)/.exec(run.stdout)?.[1];
  expect(written).toBeDefined();
  const result = JSON.parse(readFileSync(path.join(ROOT, written!), 'utf8')) as {
    results: { contender: string; recipients: number; delivered: number; duplicates: number }[];
    stops: { store: string; size: number; samples: { afterAnswer: number; exact: boolean }[] }[];
    holds: { action: string; samples: { afterAnswer: number }[] }[];
    channels: { recipients: number; exact: boolean };
    rates: { workers: number; ratePerSecond: number | null; maxInAnySecond: number }[];
  };
  expect(result.results.map((r) => r.contender)).toEqual([
    'raw HTTP loop (no durability)',
    'naive Temporal (activity per recipient)',
    'BullMQ (job per message, Redis)',
    'Herald, embedded store (API + worker process)',
    'Herald, PostgreSQL (worker process)',
  ]);
  for (const r of result.results) expect({ contender: r.contender, delivered: r.delivered, duplicates: r.duplicates }).toEqual({ contender: r.contender, delivered: r.recipients, duplicates: 0 });
  // The stop's books are exact after its report is done, and nothing arrived after any answer.
  expect(result.stops.map((r) => `${r.store} ${r.size}`)).toEqual(['postgres 5000']);
  expect(result.stops[0]!.samples).toEqual([expect.objectContaining({ afterAnswer: 0, exact: true })]);
  expect(result.holds.map((r) => [r.action, r.samples.map((s) => s.afterAnswer)])).toEqual([
    ['pause', [0]],
    ['brake', [0]],
  ]);
  // SMS alone and beside an SMTP email channel: both timed, and the books exact after the stop.
  expect(result.channels).toMatchObject({ recipients: 300, exact: true });
  // Two workers on one account provider's rate: never more than it in any second at the sink.
  expect(result.rates.map((r) => [r.workers, r.ratePerSecond])).toEqual([
    [2, 50],
    [1, null],
    [1, 5000],
    [1, null],
    [1, 5000],
  ]);
  expect(result.rates[0]!.maxInAnySecond).toBeLessThanOrEqual(50);
  expect(run.stdout).toMatch(/\| contender \| recipients \| time \(s\) \| messages\/s/);
}, 360_000);
