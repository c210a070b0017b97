/**
 * The typed client: src/client/schema.ts is what openapi-typescript makes of the API's document today, so a
 * route or schema change without regenerating fails here. (test/api/api.test.ts uses the client against Herald.)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

test('the generated client types are current with the API document', () => {
  // openapi-typescript is an ES module: the check runs as the script npm run generate:client runs.
  const check = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/generate-client.ts', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(check.stderr).toBe('');
  expect(check.stdout).toContain('src/client/schema.ts is current.');
  expect(check.status).toBe(0);
});
