/** CPU per process from /proc, for the benches: Herald's processes and the PostgreSQL backends serving each. */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

/** CPU seconds of one process so far, from /proc (utime + stime), or null once it is gone. */
const TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** The Temporal dev server's process (found by its port), for its CPU. */
export function devServerPid(port: string): number | null {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('start-dev') && cmd.includes(port)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** What each process used during a phase, in CPU seconds. */
export type CpuSplit = Record<string, number>;

/**
 * Samples the CPU of the named processes and (with `admin`) of the database's PostgreSQL backends (named by the application
 * name of the process they serve) until `stop`. Backends are looked for every 200 ms; one that appears in a phase
 * counts from when it was first seen.
 */
export function sampleCpu(processes: Record<string, number | null>, admin?: pg.Client, database = ''): { stop(): Promise<CpuSplit> } {
  const first = new Map<string, { label: string; pid: number; at: number }>();
  const last = new Map<string, number>();
  const see = (label: string, pid: number) => {
    const now = cpuSeconds(pid);
    if (now === null) return;
    const key = `${label}/${pid}`;
    if (!first.has(key)) first.set(key, { label, pid, at: now });
    last.set(key, now);
  };
  for (const [label, pid] of Object.entries(processes)) if (pid) see(label, pid);
  const backends = async () => {
    if (!admin) return;
    const { rows } = await admin.query<{ pid: number; name: string }>(
      'SELECT pid, application_name AS name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    for (const r of rows) see(`postgres (${r.name || 'bench'})`, r.pid);
  };
  // A failed look (the connection closing after an error elsewhere) is not the bench's error.
  const look = () => backends().catch(() => undefined);
  let polling = look();
  const timer = setInterval(() => {
    polling = polling.then(look);
  }, 200);
  return {
    async stop() {
      clearInterval(timer);
      await polling;
      await backends();
      for (const [label, pid] of Object.entries(processes)) if (pid) see(label, pid);
      const split: CpuSplit = {};
      for (const [key, { label, at }] of first) split[label] = (split[label] ?? 0) + (last.get(key)! - at);
      return split;
    },
  };
}
