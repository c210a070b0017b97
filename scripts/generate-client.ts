/**
 * Generates Herald's typed API client types (src/client/schema.ts) from the OpenAPI document with
 * openapi-typescript. `npm run generate:client` writes the file; `--check` only compares and fails when the file
 * is not what the document gives now (npm test runs the check, so the client never drifts from the API).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { apiDocument } from '../src/api/app';

/** The generated file. */
export const CLIENT_SCHEMA = path.resolve(__dirname, '..', 'src', 'client', 'schema.ts');

const HEADER = [
  '/**',
  " * Herald API types, generated from the OpenAPI document (GET /openapi.json) by openapi-typescript. Do not edit:",
  ' * run `npm run generate:client` after changing a route or schema (npm test checks that this file is current).',
  ' */',
  '',
].join('\n');

/** The file's text for the API as it is now. */
export async function generatedClientSchema(): Promise<string> {
  const ast = await openapiTS(apiDocument() as unknown as OpenAPI3, { alphabetize: false, exportType: false, defaultNonNullable: false });
  return HEADER + astToString(ast);
}

async function main(): Promise<void> {
  const text = await generatedClientSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CLIENT_SCHEMA, 'utf8');
    } catch {
      // missing: reported below
    }
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), CLIENT_SCHEMA)} is not current with the API: run \`npm run generate:client\` and commit it.`);
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), CLIENT_SCHEMA)} is current.`);
    return;
  }
  writeFileSync(CLIENT_SCHEMA, text);
  console.log(`Wrote ${path.relative(process.cwd(), CLIENT_SCHEMA)} (${text.length} characters).`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
