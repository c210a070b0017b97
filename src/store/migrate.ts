/** Versioned migrations: every `NNN_name.sql` in ./migrations runs once, in order, in its own transaction. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SqlClient } from './sql-client';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const LOCK_ID = 7_040_188; // any constant; serialises concurrent migrators on PostgreSQL

/** Applies the migrations not yet applied; returns their file names. */
export async function migrate(db: SqlClient): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = Number.parseInt(file, 10);
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (done.rows.length > 0) return false;
      for (const statement of splitStatements(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'))) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      return true;
    });
    if (ran) applied.push(file);
  }
  return applied;
}

/** Splits a migration file on semicolons at line ends (our migrations hold no procedural bodies). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
