/**
 * One owner per embedded data folder: PGlite is a single-user PostgreSQL, and two processes writing one folder
 * lose rows. The owner keeps `<folder>.lock` (its pid, start time and command); a second process gets a
 * `FolderInUseError` naming it. A lock left by a process that is gone (killed, crashed) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Who owns a data folder, as its lock file says. */
export interface FolderOwner {
  pid: number;
  startedAt: string;
  command: string;
}

/** Another live process owns the data folder. */
export class FolderInUseError extends Error {
  override name = 'FolderInUseError';
  constructor(
    readonly folder: string,
    readonly owner: FolderOwner,
  ) {
    super(
      `the embedded store ${folder} is in use by process ${owner.pid} (started ${owner.startedAt}: ${owner.command}); ` +
        'stop it first, or talk to it (npm run account works through a running npm start)',
    );
  }
}

/** A held lock. */
export interface FolderLock {
  release(): void;
}

/** Folders this process holds (a second open in the same process is refused too). */
const held = new Set<string>();

/** The lock file of a data folder. */
export function lockFileOf(folder: string): string {
  const abs = path.resolve(folder);
  return `${abs}.lock`;
}

/** The owner recorded in a folder's lock file, if the file is there and readable. */
export function readOwner(folder: string): FolderOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockFileOf(folder), 'utf8')) as Partial<FolderOwner>;
    if (typeof owner.pid !== 'number') return undefined;
    return { pid: owner.pid, startedAt: String(owner.startedAt ?? '?'), command: String(owner.command ?? '?') };
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (one of another user's counts: signalling it is refused, not unknown). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `folder` for this process, or throws `FolderInUseError` naming its live owner. */
export function lockFolder(folder: string): FolderLock {
  const file = lockFileOf(folder);
  const key = path.resolve(folder);
  const me: FolderOwner = {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' ').slice(0, 200),
  };
  if (held.has(key)) throw new FolderInUseError(key, me);
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    const owner = readOwner(folder);
    // Our own pid in a lock we do not hold is a previous life of this pid (a container restarted as pid 1).
    if (owner && owner.pid !== process.pid && alive(owner.pid)) throw new FolderInUseError(key, owner);
    // Gone (or unreadable, half-written by a process killed mid-write): take it over, unless it changed meanwhile.
    try {
      const now = readOwner(folder);
      if (now?.pid === owner?.pid && now?.startedAt === owner?.startedAt) unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  held.add(key);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.delete(key);
      // Only our own lock is removed (it may have been taken over if this process looked dead, e.g. pid reuse).
      if (readOwner(folder)?.pid === process.pid) unlinkSync(file);
    },
  };
}
