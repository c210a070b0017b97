/** Herald workers as real processes (`src/worker.ts`), for tests that kill, freeze and restart them. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Starts `src/worker.ts` as its own process with `env`; its output goes to `log` for failure messages. */
export function spawnWorker(env: Record<string, string>, log: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

/** Resolves once the process has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the worker printed its banner (it polls its task queue). */
export function ready(child: ChildProcess, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (log.join('').includes('herald worker on')) resolve();
      else if (child.exitCode !== null) reject(new Error(`worker exited:\n${log.join('')}`));
      else setTimeout(check, 50);
    };
    check();
  });
}
