/**
 * The embedded store: PostgreSQL in WebAssembly (PGlite), no server to install. By default PGlite runs in a worker
 * thread of its own (src/store/embedded-thread.ts), so its work does not share one event loop with the API, the
 * send lanes and Temporal's worker; `inline` runs it on the caller's thread (as before, kept to measure against).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { EmbeddedAnswer, EmbeddedConnect, EmbeddedRequest, EmbeddedThreadData } from './embedded-thread';
import { threadEntry } from '../thread-entry';
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

async function openThreadClient(dataDir: string | undefined): Promise<SqlClient> {
  const { file, execArgv } = threadEntry(__dirname, 'embedded-thread');
  const worker = new Worker(file, { workerData: { dataDir } satisfies EmbeddedThreadData, execArgv });
  const client = clientOver(worker);
  worker.on('error', (err) => client.fail(new Error(`embedded store thread failed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => client.fail(new Error(`embedded store thread exited (code ${code})`)));
  try {
    await client.query('SELECT 1'); // the folder opens (or fails) here, not at the first real query
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    query: client.query,
    transaction: client.transaction,
    background: client.background,
    share: () => {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ op: 'connect', port: port2 } satisfies EmbeddedConnect, [port2]);
      return port1;
    },
    close: async () => {
      if (client.gone()) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await client.call({ op: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Another thread's client of the store thread, over a port from `share()` of the client that opened it. Closing
 * it closes the port, not the store; a transaction it leaves open when its thread ends is rolled back there.
 */
export async function connectEmbeddedPort(port: MessagePort): Promise<SqlClient> {
  const client = clientOver(port);
  port.on('close', () => client.fail(new Error('the embedded store thread closed this connection')));
  await client.query('SELECT 1');
  return {
    query: client.query,
    transaction: client.transaction,
    background: client.background,
    close: async () => {
      client.fail(new Error('this connection to the embedded store is closed'));
      port.close();
    },
  };
}

/** Where a client's requests go: the store thread itself, or a port to it. */
interface Endpoint {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (answer: EmbeddedAnswer) => void): unknown;
  ref(): void;
  unref(): void;
}

/** Queries and transactions as requests to `endpoint`, each paired with its answer by id. */
function clientOver(endpoint: Endpoint) {
  const pending = new Map<number, { resolve(a: EmbeddedAnswer): void; reject(err: Error): void }>();
  let nextId = 1;
  let gone: Error | undefined;
  // The thread keeps the process alive only while a request waits for it, as an in-process PGlite would.
  endpoint.unref();
  const fail = (err: Error) => {
    gone ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  endpoint.on('message', (answer: EmbeddedAnswer) => {
    const p = pending.get(answer.id);
    if (!p) return;
    pending.delete(answer.id);
    if (pending.size === 0) endpoint.unref();
    p.resolve(answer);
  });

  const call = (req: Request): Promise<EmbeddedAnswer & { rows?: unknown[]; tx?: number }> =>
    new Promise((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      if (pending.size === 0) endpoint.ref();
      pending.set(id, {
        resolve: (answer) => {
          if (!('error' in answer)) return resolve(answer);
          reject(Object.assign(new EmbeddedQueryError(answer.error.message), answer.error.fields));
        },
        reject,
      });
      try {
        endpoint.postMessage({ ...req, id });
      } catch (err) {
        // A parameter that cannot be copied to the thread (a function, say) fails this query alone.
        pending.delete(id);
        if (pending.size === 0) endpoint.unref();
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
  const background: SqlClient = {
    query: (sql, params) => query(sql, params, undefined, { lane: 'background' }),
    transaction: (fn) => transaction(fn, { lane: 'background' }),
    // The connection belongs to the foreground client: closing it is its business.
    close: () => Promise.resolve(),
  };
  return {
    query: <R>(sql: Sql, params?: unknown[]) => query<R>(sql, params),
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => transaction(fn),
    background: () => background,
    call,
    fail,
    gone: () => gone !== undefined,
  };
}
