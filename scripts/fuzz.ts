/**
 * `npm run fuzz`: fuzzes the API from its OpenAPI document with schemathesis (installed from PyPI into
 * .herald/tools/ when missing). Starts a throwaway Herald (`npm start` on the embedded store, in a temporary
 * data folder, on free loopback ports), runs schemathesis against /openapi.json with the dev API key, and
 * exits non-zero when any check fails: no 5xx, every answer's status documented, every body matching its schema.
 * Then a pass of hostile inputs schemathesis does not make, on every operation: JSON nested 5,000-20,000 deep, a
 * `__proto__` key, odd list cursors, broken percent-escapes in path parameters; none may answer 5xx.
 *
 *   npm run fuzz                      # full run: 100 examples per operation, at most 300 s
 *   npm run fuzz -- --short           # the run inside npm test: 8 examples per operation, at most 40 s
 *   npm run fuzz -- --max-examples 500 --max-time 900 --seed 42
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTs, type Child } from '../bench/processes';
import { findTemporalCli, freePort } from '../src/cli/temporal';

/** The schemathesis release this script runs (pinned: its checks and defaults change between releases). */
export const SCHEMATHESIS_VERSION = '4.32.5';

const ROOT = path.resolve(__dirname, '..');
const TOOLS = path.join(ROOT, '.herald', 'tools');
/** The checks: no 5xx, documented statuses, bodies match their schemas, content types match. */
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'response_schema_conformance', 'content_type_conformance'];

interface Options {
  maxExamples: number;
  maxTime: number;
  seed?: number;
  phases: string;
}

function options(argv: string[]): Options {
  const short = argv.includes('--short');
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = value('--seed');
  return {
    maxExamples: Number(value('--max-examples') ?? (short ? 8 : 100)),
    maxTime: Number(value('--max-time') ?? (short ? 40 : 300)),
    ...(seed ? { seed: Number(seed) } : {}),
    // The short run skips the stateful phase (it chains calls and needs the longest).
    phases: value('--phases') ?? (short ? 'examples,coverage,fuzzing' : 'examples,coverage,fuzzing,stateful'),
  };
}

/** The schemathesis executable, installed into a virtualenv in .herald/tools the first time. */
function schemathesis(): string {
  const venv = path.join(TOOLS, 'schemathesis-venv');
  const bin = path.join(venv, 'bin', 'schemathesis');
  const installed = existsSync(bin) && spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.includes(SCHEMATHESIS_VERSION);
  if (installed) return bin;
  console.log(`Installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv}`);
  for (const [cmd, args] of [
    ['python3', ['-m', 'venv', venv]],
    [path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]],
  ] as const) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`could not install schemathesis: ${cmd} ${args.join(' ')} failed`);
  }
  return bin;
}

/**
 * Starts `npm start`'s entry point in `dataDir` on free loopback ports; resolves with its URL once it is running.
 * A free port can be taken by another process before Temporal binds it (tests run side by side): then it tries
 * again on new ports, in a new folder, up to three times.
 */
async function startHerald(dataDir: string): Promise<{ child: Child; url: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHeraldOnce(attempt === 1 ? dataDir : mkdtempSync(path.join(dataDir, 'again-')));
    } catch (err) {
      if (attempt === 3) throw err;
      console.log(`Herald did not start (${(err as Error).message}); trying again on other ports`);
    }
  }
}

async function startHeraldOnce(dataDir: string): Promise<{ child: Child; url: string }> {
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const { child } = await startTs(
    path.join(ROOT, 'src', 'cli', 'start.ts'),
    {
      // The embedded store in the throwaway folder, whatever the caller's environment points at.
      DATABASE_URL: undefined,
      HERALD_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      TEMPORAL_CLI: findTemporalCli(TOOLS),
      // The fuzzer is one key sending as fast as it can: the limit would only hide routes behind 429s.
      RATE_LIMIT_PER_MINUTE: '1000000',
      // It also sends requests without a key on purpose: those must stay 401s, not turn the address away.
      AUTH_FAILURES_PER_MINUTE: '1000000',
      // Only errors are worth seeing next to a failing case (fuzzing makes every request a 4xx warning otherwise).
      LOG_LEVEL: 'ERROR',
    },
    (line) => line.startsWith('Herald is running'),
  );
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Cursors no page ever returned: parts that are not a timestamp and an id, out-of-range times, not base64. */
const ODD_CURSORS = [
  ['not a time', 'c1'], ['+275760-09-13T00:00:00.000Z', 'c1'], ['99999-01-01T00:00:00.000Z', 'c1'], ['2026-01-01T00:00:00.000Z'],
  [1, 2], { at: 'x' }, [],
].map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')).concat(['%%', 'e30', '-1', '9'.repeat(40), 'W10', '\u0000']);
/** Path parameters whose percent-escapes do not decode, or decode to what no id is. */
const BROKEN_ESCAPES = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%00', '%ED%A0%80'];

/** Sends the hostile inputs to every operation of the API's document; resolves with the number sent and the 5xx ones. */
async function hostileInputs(url: string, key: string): Promise<{ sent: number; failures: string[] }> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[] }>>;
  };
  const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const bodies = [deep(5_000), deep(20_000), deepArray(20_000), '{"__proto__":{"admin":true}}', '{"contacts":[{"id":"x","attributes":{"__proto__":{"a":1}}}]}'];
  const failures: string[] = [];
  let sent = 0;
  const send = async (method: string, path: string, body?: string) => {
    sent++;
    const res = await fetch(`${url}${path}`, {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body } : {}),
    });
    await res.arrayBuffer();
    if (res.status >= 500) failures.push(`${method.toUpperCase()} ${path.slice(0, 80)}${body ? ` (${body.slice(0, 30)}...)` : ''}: ${res.status}`);
  };
  for (const [template, methods] of Object.entries(doc.paths)) {
    const filled = template.replace(/\{[^}]+\}/g, 'x1');
    for (const [method, op] of Object.entries(methods)) {
      if (op.requestBody) for (const body of bodies) await send(method, filled, body);
      if (template.includes('{')) {
        for (const broken of BROKEN_ESCAPES) await send(method, template.replace(/\{[^}]+\}/, broken).replace(/\{[^}]+\}/g, 'x1'));
      }
      if (method === 'get' && op.parameters?.some((p) => p.name === 'after' && p.in === 'query')) {
        for (const cursor of ODD_CURSORS) await send(method, `${filled}?after=${encodeURIComponent(cursor)}`);
      }
    }
  }
  return { sent, failures };
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const bin = schemathesis();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-fuzz-'));
  let herald: Child | undefined;
  try {
    const started = await startHerald(dataDir);
    herald = started.child;
    const key = readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim();
    const args = [
      'run',
      `${started.url}/openapi.json`,
      '--url', started.url,
      '--header', `Authorization: Bearer ${key}`,
      '--checks', CHECKS.join(','),
      '--phases', opts.phases,
      '--max-examples', String(opts.maxExamples),
      '--max-time', String(opts.maxTime),
      '--request-timeout', '30',
      // One worker: hypothesis's lambda descriptions call ast.parse, which is not thread-safe on Python 3.11
      // ("AST constructor recursion depth mismatch" in a 2-worker run: a runner error, not an API failure).
      '--workers', '1',
      '--suppress-health-check', 'all',
      '--report', 'junit',
      '--report-dir', path.join(ROOT, '.herald', 'fuzz'),
      ...(opts.seed === undefined ? [] : ['--seed', String(opts.seed)]),
    ];
    console.log(`schemathesis ${SCHEMATHESIS_VERSION} against ${started.url} (${CHECKS.join(', ')}; ${opts.phases}; ` +
      `${opts.maxExamples} examples per operation, at most ${opts.maxTime} s)`);
    // Run in the throwaway folder: schemathesis keeps its cache in the working directory (.schemathesis/).
    const run = spawnSync(bin, args, { cwd: dataDir, stdio: 'inherit', env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    const hostile = await hostileInputs(started.url, key);
    for (const failure of hostile.failures) console.log(`  server error: ${failure}`);
    console.log(`hostile inputs: ${hostile.sent} sent, ${hostile.failures.length} server errors`);
    return (run.status ?? 1) || (hostile.failures.length > 0 ? 1 : 0);
  } finally {
    await herald?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
