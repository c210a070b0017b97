// Builds the operator console (console/src, Preact) into console/dist with esbuild, and the API reference page
// (console/docs with Scalar's standalone bundle, copied from node_modules: no CDN) into console/dist/docs; skips when
// the build is newer than every source it comes from. Runs before start and test; `--force` rebuilds.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(root, ...p);
const out = at('console', 'dist');
const stamp = path.join(out, 'index.html');
const sources = [at('console', 'src'), at('console', 'docs'), at('console', 'index.html'), at('src', 'domain'), at('package-lock.json'), fileURLToPath(import.meta.url)];

/** The newest modification time under a file or folder. */
function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p).map((name) => newest(path.join(p, name))));
}

const force = process.argv.includes('--force');
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= Math.max(...sources.map(newest))) process.exit(0);

const { build } = await import('esbuild');
const started = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { app: 'console/src/main.tsx', style: 'console/src/style.css' },
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'console/tsconfig.json',
  logLevel: 'warning',
});
// The page references its assets with a content hash, so a browser never mixes an old script with a new page.
const hash = createHash('sha256').update(readFileSync(path.join(out, 'app.js'))).update(readFileSync(path.join(out, 'style.css'))).digest('hex').slice(0, 12);
writeFileSync(stamp, readFileSync(at('console', 'index.html'), 'utf8').replaceAll('%HASH%', hash));
// The API reference page: Scalar's self-contained browser bundle beside a small script that points it at /openapi.json.
const docs = path.join(out, 'docs');
mkdirSync(docs, { recursive: true });
copyFileSync(at('node_modules', '@scalar', 'api-reference', 'dist', 'browser', 'standalone.js'), path.join(docs, 'scalar.js'));
copyFileSync(at('console', 'docs', 'docs.js'), path.join(docs, 'docs.js'));
const docsHash = createHash('sha256').update(readFileSync(path.join(docs, 'scalar.js'))).update(readFileSync(path.join(docs, 'docs.js'))).digest('hex').slice(0, 12);
writeFileSync(path.join(docs, 'index.html'), readFileSync(at('console', 'docs', 'index.html'), 'utf8').replaceAll('%HASH%', docsHash));
console.log(`Built the operator console and the API reference into console/dist in ${Date.now() - started} ms`);
