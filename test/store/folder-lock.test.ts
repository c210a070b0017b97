/**
 * One owner per embedded data folder: a second process that opens a folder in use is refused with the owner's
 * pid and start time, and writes nothing; a lock left by a process that is gone is taken over.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store';
import { lockFileOf } from '../../src/store/folder-lock';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run account -- create <name>` (its entry point, through tsx) on the data folder `home`. */
function accountCli(home: string, name: string) {
  const { DATABASE_URL: _, ...env } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/account.ts', 'create', name], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...env, HERALD_DATA_DIR: home },
  });
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'herald-lock-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

test('a second process opening a data folder in use is refused with the owner named, and no row is lost', async () => {
  const dataDir = path.join(home, 'pglite');
  const store = await openStore({ dataDir });
  const before = await store.createAccount('First');

  const second = accountCli(home, 'Second');
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`in use by process ${process.pid}`);
  const owner = JSON.parse(readFileSync(lockFileOf(dataDir), 'utf8')) as { startedAt: string };
  expect(second.stderr).toContain(`started ${owner.startedAt}`);
  // The same process cannot open it twice either (two PGlite instances on one folder corrupt it alike).
  await expect(openStore({ dataDir })).rejects.toThrow(/in use by process/);

  const after = await store.createAccount('Third');
  await store.close();
  expect(existsSync(lockFileOf(dataDir))).toBe(false);

  const reopened = await openStore({ dataDir });
  try {
    expect(await reopened.authenticate(before.apiKey)).toMatchObject({ accountId: before.accountId });
    expect(await reopened.authenticate(after.apiKey)).toMatchObject({ accountId: after.accountId });
  } finally {
    await reopened.close();
  }
}, 120_000);

test('a lock left by a process that is gone is taken over', async () => {
  const dataDir = path.join(home, 'pglite');
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(lockFileOf(dataDir), JSON.stringify({ pid: gone, startedAt: '2020-01-01T00:00:00.000Z', command: 'killed' }));
  const store = await openStore({ dataDir });
  try {
    expect(JSON.parse(readFileSync(lockFileOf(dataDir), 'utf8'))).toMatchObject({ pid: process.pid });
    await store.createAccount('After a crash');
  } finally {
    await store.close();
  }
  expect(existsSync(lockFileOf(dataDir))).toBe(false);
}, 120_000);
