/** Where a worker thread's code is: compiled JavaScript in `dir`, or the TypeScript source run through tsx's loader. */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The file and flags that start the thread `name` (without extension) of the module directory `dir`. */
export function threadEntry(dir: string, name: string): { file: string; execArgv: string[] } {
  // The process's own flags are not passed on (tsx's ESM loader flags cannot load the thread), except profiling.
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const js = path.join(dir, `${name}.js`);
  if (existsSync(js)) return { file: js, execArgv: profiling };
  return { file: path.join(dir, `${name}.ts`), execArgv: [...profiling, '--require', require.resolve('tsx/cjs')] };
}
