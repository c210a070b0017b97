/**
 * How production starts the compiled worker: package.json's `worker` script (`npm run worker`) gives its Node flags
 * and environment, and the Docker image's CMD and ENV repeat them. The tests and the bench start it the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The Node flags and environment variables of `npm run worker`, before `dist/worker.js`. */
export function workerLaunch(): { nodeArgs: string[]; env: Record<string, string> } {
  const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { worker: string } }).scripts.worker;
  const parsed = /^((?:[A-Z_]+=\S+\s+)*)node((?:\s+--\S+)*)\s+dist\/worker\.js$/.exec(script);
  if (!parsed) throw new Error(`package.json's worker script is not "[NAME=value ...] node [--flag ...] dist/worker.js": ${script}`);
  const env = Object.fromEntries(parsed[1]!.trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
  return { nodeArgs: parsed[2]!.trim().split(/\s+/).filter(Boolean), env };
}
