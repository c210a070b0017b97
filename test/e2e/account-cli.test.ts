/**
 * `npm run account -- create`, as the README says, while `npm start` runs: the CLI goes through the running
 * server (which owns the embedded store's folder) and the new key works at once; with no server running it opens
 * the folder itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, stopProcess } from '../../src/cli/temporal';
import { lockFileOf } from '../../src/store/folder-lock';
import { taskQueueFor, temporalAddress, workflowBundlePath } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const { DATABASE_URL: _, ...env } = process.env;

/** Runs the account CLI's entry point (through tsx) on the data folder `home`. */
function createAccount(home: string, name: string) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/account.ts', 'create', name], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...env, HERALD_DATA_DIR: home },
  });
  return { ...run, apiKey: /api key (hk_\w+)/.exec(run.stdout)?.[1] };
}

/** Starts `npm start`'s entry point (through tsx) with `vars`; resolves once it says it is running. */
function npmStart(vars: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], { cwd: ROOT, env: { ...env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('Herald is running')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was running: ${stderr.slice(-2000)}`)));
  });
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

test('the account CLI creates an account through a running npm start, and opens the folder when none runs', async () => {
  const port = await freePort();
  const child = await npmStart({
    HERALD_DATA_DIR: home,
    PORT: String(port),
    TEMPORAL_ADDRESS: temporalAddress(),
    TASK_QUEUE: taskQueueFor('account cli'),
    WORKFLOW_BUNDLE: workflowBundlePath(),
    LOG_LEVEL: 'WARN',
  });
  try {
    const created = createAccount(home, 'Through the server');
    expect({ status: created.status, stderr: created.stderr }).toEqual({ status: 0, stderr: '' });
    expect(created.stdout).toContain(`through the running server, pid ${child.pid}`);
    const res = await fetch(`http://127.0.0.1:${port}/v1/campaigns`, { headers: { authorization: `Bearer ${created.apiKey}` } });
    expect(res.status).toBe(200);
  } finally {
    await stopProcess(child, 15_000);
  }
  expect(existsSync(lockFileOf(path.join(home, 'pglite')))).toBe(false);

  const alone = createAccount(home, 'No server');
  expect({ status: alone.status, stderr: alone.stderr }).toEqual({ status: 0, stderr: '' });
  expect(alone.stdout).not.toContain('through the running server');
  expect(alone.apiKey).toMatch(/^hk_/);
}, 180_000);
