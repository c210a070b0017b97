/**
 * The short chaos run (`npm run chaos -- --short`) inside `npm test`: every fault strikes a campaign mid-send on
 * real processes, and afterwards nobody is lost, nobody got the campaign twice, and the counts and events agree
 * with what the provider received.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCENARIOS, type Trial } from '../../chaos/scenarios';

const ROOT = path.resolve(__dirname, '../..');

test('every fault of the short chaos run is survived with exact numbers', async () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'herald-chaos-test-')), 'results.json');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'chaos/run.ts'), '--short', '--seed', '7', '--out', out], {
      env: { ...process.env, LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', resolve);
  });
  console.log(output.join(''));
  expect(code).toBe(0);

  const { trials, recipients } = JSON.parse(readFileSync(out, 'utf8')) as { trials: Trial[]; recipients: number };
  expect(new Set(trials.map((t) => t.scenario))).toEqual(new Set(SCENARIOS));
  for (const t of trials) {
    const c = t.counts;
    expect({ scenario: t.scenario, problems: t.problems }).toEqual({ scenario: t.scenario, problems: [] });
    expect(c.planned).toBe(recipients);
    expect(c.sent + c.notSent + c.failed + c.inDoubt).toBe(recipients);
    // What is in doubt (a stop while its worker was down mid-call) may or may not have arrived.
    expect(t.delivered).toBeGreaterThanOrEqual(c.sent);
    expect(t.delivered).toBeLessThanOrEqual(c.sent + c.inDoubt);
    expect(t.duplicates).toBe(0);
    expect(t.events).toEqual({ sent: c.sent, notSent: c.notSent, failed: c.failed });
    if (t.scenario === 'stop-while-worker-down') {
      expect(t.status).toBe('Stopped');
      expect(c.notSent).toBeGreaterThan(0);
    } else {
      expect(t.status).toBe('Finished');
      expect(c.sent).toBe(recipients);
    }
  }
}, 600_000);
