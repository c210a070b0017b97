/** The API fuzzed from its own OpenAPI document (a short `npm run fuzz`): no 5xx, every answer documented and in its schema. */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run fuzz -- --short` (installs schemathesis first on a fresh machine); resolves with its exit code and output. */
function shortFuzz(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/fuzz.ts', '--short'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('schemathesis finds no server error, no undocumented status and no answer outside its schema', async () => {
  const { code, output } = await shortFuzz();
  const summary = output.slice(output.indexOf('SUMMARY'));
  if (code !== 0) console.log(output.slice(-20_000));
  expect(code).toBe(0);
  expect(output).toMatch(/Operations:\s+(\d+) selected \/ \1 total/);
  const cases = /(\d+) generated, (\d+) passed/.exec(summary);
  expect(cases).not.toBeNull();
  expect(Number(cases![1])).toBeGreaterThan(100);
  expect(cases![2]).toBe(cases![1]);
  // Deep nesting, `__proto__`, odd cursors and broken percent-escapes on every operation: no 5xx.
  const hostile = /hostile inputs: (\d+) sent, (\d+) server errors/.exec(output);
  expect(hostile).not.toBeNull();
  expect(Number(hostile![1])).toBeGreaterThan(100);
  expect(hostile![2]).toBe('0');
}, 180_000);
