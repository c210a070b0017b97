// `npm run build`: compiles src/ to dist/ (tsc -p tsconfig.build.json), copies the migrations beside the compiled
// store, and bundles the workflows once into dist/workflow-bundle.js, so a production worker runs plain JavaScript
// with no tsx and no bundling at start. `--if-stale` builds only when something the build reads is newer than it
// (as ensure-deps.mjs does for node_modules): `npm run worker` and `npm run api` run it first.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];

/** The newest modification time under `p` (a file or a folder). */
function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newest(path.join(p, name))), s.mtimeMs);
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (inputs.every((i) => newest(path.join(root, i)) <= built)) process.exit(0);
}

console.log('Building dist/ (tsc, workflow bundle)...');
rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync(path.join(root, 'src/store/migrations'), path.join(dist, 'store/migrations'), { recursive: true });

const { bundleWorkflowCode } = await import('@temporalio/worker');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows/index.js'), logger: quiet });
writeFileSync(path.join(dist, 'workflow-bundle.js'), code);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
console.log('Built dist/ (run: node dist/worker.js, node dist/api/server.js)');
