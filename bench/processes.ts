/** Child processes of the benchmark: started with tsx, awaited until they say they are ready, sampled for memory. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stopProcess } from '../src/cli/temporal';
import type { SmtpServerInfo } from './smtp-server';

/** A child process the benchmark started. */
export interface Child {
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once (a crash); resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Runs `file` (TypeScript through tsx, or compiled JavaScript) in its own Node process, with `nodeArgs` and with
 * `env` added (an undefined value removes a variable), and resolves once a line of its stdout satisfies `ready`
 * (with that line). Its stderr goes to ours; an exit before it is ready rejects.
 */
export function startTs(
  file: string,
  env: Record<string, string | undefined>,
  ready: (line: string) => boolean,
  nodeArgs: string[] = [],
): Promise<{ child: Child; line: string }> {
  // BENCH_PROFILE=<dir>: every child writes a CPU profile there when it exits (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  // Compiled JavaScript (dist/) runs as production runs it, without tsx.
  const loader = file.endsWith('.js') ? [] : ['--import', 'tsx'];
  const proc = spawn(process.execPath, [...profile, ...nodeArgs, ...loader, file], {
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let done = false;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      // After the ready line, what the child prints (warnings and errors at the levels these runs set) is shown.
      if (done) console.log(line);
      else if (ready(line)) {
        done = true;
        const kill = () => stopProcess(proc, 0, 'SIGKILL');
        resolve({ child: { pid: proc.pid!, stop: () => stopProcess(proc, 15_000), kill }, line });
      }
    });
    proc.once('exit', (code) => {
      if (!done) reject(new Error(`${file} exited with code ${code} before it was ready`));
    });
  });
}

/** Resident memory of a process in bytes, from /proc (0 when it cannot be read). */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the resident memory of some processes every 100 ms; `stop` returns each one's peak in bytes. */
export function sampleRss(pids: number[]): { stop(): number[] } {
  const peaks = pids.map(rssOf);
  const timer = setInterval(() => pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i]!, rssOf(pid)))), 100);
  return {
    stop() {
      clearInterval(timer);
      pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i]!, rssOf(pid))));
      return peaks;
    },
  };
}

/** Starts the SMTP emulator in a process of its own at the lowest priority (bench/smtp-server.ts). */
export async function startSmtpProcess(): Promise<{ child: Child; info: SmtpServerInfo }> {
  const { child, line } = await startTs(path.join(__dirname, 'smtp-server.ts'), {}, (l) => l.startsWith('{"port"'));
  return { child, info: JSON.parse(line) as SmtpServerInfo };
}

/** Starts the sink (bench/sink.ts) in a process of its own: a provider's arrival times, on a clock of their own. */
export async function startSinkProcess(): Promise<{ child: Child; url: string }> {
  const { child, line } = await startTs(path.join(__dirname, 'sink.ts'), {}, (l) => l.startsWith('{"url"'));
  return { child, url: (JSON.parse(line) as { url: string }).url };
}
