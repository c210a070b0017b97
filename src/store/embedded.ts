/**
 * The embedded store: PostgreSQL in WebAssembly (PGlite), no server to install. By default PGlite runs in a worker
 * thread of its own (src/store/embedded-thread.ts), so its work does not share one event loop with the API, the
 * send lanes and Temporal's worker; `inline` runs it on the caller's thread (as before, kept to measure against).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { EmbeddedAnswer, EmbeddedRequest, EmbeddedThreadData } from './embedded-thread';
import { lockFolder } from './folder-lock';
import { INT8_OID, textOf, type Sql, type SqlClient, type SqlExecutor } from './sql-client';

/** Where PGlite runs: in a worker thread of its own (the default), or on the caller's thread. */
export type EmbeddedEngine = 'thread' | 'inline';

/** A PostgreSQL error raised in the store thread, with its fields (code, detail, ...) carried across. */
export class EmbeddedQueryError extends Error {
  override name = 'EmbeddedQueryError';
  /** PostgreSQL's SQLSTATE, when the error came from PostgreSQL. */
  code?: string;
}

/**
 * Opens PGlite in `dataDir` (in memory when undefined). One process owns a data folder at a time: a second gets a
 * `FolderInUseError` naming the owner (see folder-lock.ts).
 */
export async function openEmbeddedClient(dataDir?: string, engine: EmbeddedEngine = 'thread'): Promise<SqlClient> {
  const lock = dataDir === undefined ? undefined : lockFolder(dataDir);
  try {
    const client = engine === 'thread' ? await openThreadClient(dataDir) : await openInlineClient(dataDir);
    if (!lock) return client;
    return { ...client, close: () => client.close().finally(() => lock.release()) };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

async function openInlineClient(dataDir: string | undefined): Promise<SqlClient> {
  const db = await PGlite.create(dataDir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  return {
    query: async (sql, params) => {
      const r = await db.query(textOf(sql), params);
      return { rows: r.rows as never[] };
    },
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: async (sql, params) => {
            const r = await tx.query(textOf(sql), params);
            return { rows: r.rows as never[] };
          },
        }),
      ),
    close: () => db.close(),
  };
}

/** Distributes a request without its id (each union member's own fields). */
type Request = EmbeddedRequest extends infer R ? (R extends EmbeddedRequest ? Omit<R, 'id'> : never) : never;

/** The thread's entry: compiled JavaScript beside this file, or the TypeScript source run through tsx's loader. */
function threadEntry(): { file: string; execArgv: string[] } {
  // The process's own flags are not passed on (tsx's ESM loader flags cannot load the thread), except profiling.
  const profiling = process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
  const js = path.join(__dirname, 'embedded-thread.js');
  if (existsSync(js)) return { file: js, execArgv: profiling };
  return { file: path.join(__dirname, 'embedded-thread.ts'), execArgv: [...profiling, '--require', require.resolve('tsx/cjs')] };
}

async function openThreadClient(dataDir: string | undefined): Promise<SqlClient> {
  const { file, execArgv } = threadEntry();
  const worker = new Worker(file, { workerData: { dataDir } satisfies EmbeddedThreadData, execArgv });
  const pending = new Map<number, { resolve(a: EmbeddedAnswer): void; reject(err: Error): void }>();
  let nextId = 1;
  let gone: Error | undefined;
  // The thread keeps the process alive only while a request waits for it, as an in-process PGlite would.
  worker.unref();
  const fail = (err: Error) => {
    gone ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (answer: EmbeddedAnswer) => {
    const p = pending.get(answer.id);
    if (!p) return;
    pending.delete(answer.id);
    if (pending.size === 0) worker.unref();
    p.resolve(answer);
  });
  worker.on('error', (err) => fail(new Error(`embedded store thread failed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => fail(new Error(`embedded store thread exited (code ${code})`)));

  const call = (req: Request): Promise<EmbeddedAnswer & { rows?: unknown[]; tx?: number }> =>
    new Promise((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      pending.set(id, {
        resolve: (answer) => {
          if (!('error' in answer)) return resolve(answer);
          reject(Object.assign(new EmbeddedQueryError(answer.error.message), answer.error.fields));
        },
        reject,
      });
      try {
        worker.postMessage({ ...req, id });
      } catch (err) {
        // A parameter that cannot be copied to the thread (a function, say) fails this query alone.
        pending.delete(id);
        if (pending.size === 0) worker.unref();
        reject(err as Error);
      }
    });
  type Lane = { lane?: 'background' };
  const query = async <R>(sql: Sql, params?: unknown[], tx?: number, lane: Lane = {}) => {
    const { rows } = await call({ op: 'query', sql: textOf(sql), ...(params ? { params } : {}), ...(tx === undefined ? {} : { tx }), ...lane });
    return { rows: rows as R[] };
  };
  const transaction = async <T>(fn: (tx: SqlExecutor) => Promise<T>, lane: Lane = {}): Promise<T> => {
    const { tx } = await call({ op: 'begin', ...lane });
    let result;
    try {
      result = await fn({ query: (sql, params) => query(sql, params, tx) });
    } catch (err) {
      await call({ op: 'end', tx: tx!, commit: false }).catch(() => undefined);
      throw err;
    }
    await call({ op: 'end', tx: tx!, commit: true });
    return result;
  };

  try {
    await query('SELECT 1'); // the folder opens (or fails) here, not at the first real query
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  const background: SqlClient = {
    query: (sql, params) => query(sql, params, undefined, { lane: 'background' }),
    transaction: (fn) => transaction(fn, { lane: 'background' }),
    // The connection belongs to the foreground client: closing it is its business.
    close: () => Promise.resolve(),
  };
  return {
    query: (sql, params) => query(sql, params),
    transaction: (fn) => transaction(fn),
    background: () => background,
    close: async () => {
      if (gone) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await call({ op: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
