/**
 * The embedded store's thread: owns the PGlite instance (PostgreSQL in WebAssembly) so that its work runs on a core
 * of its own, not on the event loop of the API, the send lanes and Temporal's worker. It answers the messages of
 * `EmbeddedRequest` from src/store/embedded.ts, one at a time (PGlite serialises them anyway): the open
 * transaction's first, then the foreground's, then the background's; one transaction at a time, plain queries
 * queued behind it, exactly as when PGlite ran in the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { INT8_OID } from './sql-client';

/**
 * What the main thread asks of the store thread; `id` pairs a request with its answer. A request of the
 * `background` lane (the send path's many small statements) waits while any other request waits.
 */
export type EmbeddedRequest = (
  | { id: number; op: 'query'; sql: string; params?: unknown[]; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' }
) & { lane?: 'background' };

/** The store thread's answer to one request: rows, a transaction id, or the error it raised. */
export type EmbeddedAnswer =
  | { id: number; rows?: unknown[]; tx?: number }
  | { id: number; error: { message: string; fields: Record<string, unknown> } };

/** What the thread is started with. */
export interface EmbeddedThreadData {
  dataDir: string | undefined;
}

/** An open transaction: PGlite's handle, and how to end it (the promise settles once PGlite committed or rolled back). */
interface OpenTransaction {
  tx: Transaction;
  end(commit: boolean): Promise<void>;
}

const ROLLBACK = Symbol('rollback');

/**
 * PGlite's pages are in memory or the OS page cache, so a random read costs about what a sequential one does. With
 * PostgreSQL's default (4, for spinning disks) the planner joins a claim's 500 rows back to deliveries and contacts
 * by scanning both tables whole: 0.5 s per claim at 100,000 deliveries, growing with the table. At 1.1 (the usual
 * value for SSDs) it takes each row by its primary key, whatever the table's size (see bench/store-growth.ts).
 */
const PLANNER_SETTINGS = 'SET random_page_cost = 1.1';

/**
 * A campaign's planning ends with `ANALYZE deliveries`, which the one connection runs while every API request and
 * stop waits: with PostgreSQL's default sample (30,000 rows) it took 90-220 ms at 100,000-800,000 deliveries here,
 * with 3,000 rows 11-28 ms, and the claims' plans and rates stayed the same (bench/store-growth.ts).
 */
const ANALYZE_SETTINGS = 'SET default_statistics_target = 10';

/** Opens a transaction and keeps it open until `end` is called (PGlite's own transaction, so its lock applies). */
function begin(db: PGlite): Promise<OpenTransaction> {
  return new Promise((resolve, reject) => {
    let finish!: (commit: boolean) => void;
    const ended = new Promise<boolean>((r) => (finish = r));
    let opened = false;
    const done = db.transaction(async (tx) => {
      opened = true;
      resolve({
        tx,
        end: (commit) => {
          finish(commit);
          return done.catch((err: unknown) => {
            if (err !== ROLLBACK) throw err;
          });
        },
      });
      if (!(await ended)) throw ROLLBACK;
    });
    done.catch((err: unknown) => {
      if (!opened) reject(err);
    });
  });
}

/** The fields of a PostgreSQL error worth carrying across (code, detail, constraint, ...). */
function errorOf(err: unknown): { message: string; fields: Record<string, unknown> } {
  if (!(err instanceof Error)) return { message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (v === undefined || typeof v === 'function' || (typeof v === 'object' && v !== null)) continue;
    fields[k] = v;
  }
  return { message: err.message, fields };
}

function main(): void {
  const port = parentPort!;
  const { dataDir } = workerData as EmbeddedThreadData;
  const opening = PGlite.create(dataDir, { parsers: { [INT8_OID]: (v: string) => Number(v) } }).then(async (db) => {
    await db.exec(`${PLANNER_SETTINGS}; ${ANALYZE_SETTINGS}`);
    return db;
  });
  const open = new Map<number, OpenTransaction>();
  let nextTx = 1;
  // Requests go to PGlite one at a time, so the thread, not PGlite's own queue, decides which goes next: the open
  // transaction's own, else the first of the foreground lane (the API's reads, a stop's fence), else the first of
  // the background one. PGlite would run them one at a time anyway; this only lets a stop overtake the batches.
  const waiting: Record<'foreground' | 'background', EmbeddedRequest[]> = { foreground: [], background: [] };
  let inTransaction: number | undefined;
  let busy = false;
  const next = (): EmbeddedRequest | undefined => {
    if (inTransaction === undefined) return waiting.foreground.shift() ?? waiting.background.shift();
    for (const lane of [waiting.foreground, waiting.background]) {
      const i = lane.findIndex((r) => (r.op === 'query' || r.op === 'end') && r.tx === inTransaction);
      if (i >= 0) return lane.splice(i, 1)[0];
    }
    return undefined;
  };

  const handle = async (req: EmbeddedRequest): Promise<EmbeddedAnswer> => {
    const db = await opening;
    switch (req.op) {
      case 'query': {
        const on = req.tx === undefined ? db : open.get(req.tx)?.tx;
        if (!on) throw new Error(`transaction ${req.tx} is not open`);
        return { id: req.id, rows: (await on.query(req.sql, req.params)).rows };
      }
      case 'begin': {
        const tx = nextTx++;
        open.set(tx, await begin(db));
        inTransaction = tx;
        return { id: req.id, tx };
      }
      case 'end': {
        const t = open.get(req.tx);
        if (!t) throw new Error(`transaction ${req.tx} is not open`);
        open.delete(req.tx);
        if (inTransaction === req.tx) inTransaction = undefined;
        await t.end(req.commit);
        return { id: req.id };
      }
      case 'close':
        await db.close();
        return { id: req.id };
    }
  };

  const answer = (a: EmbeddedAnswer) => {
    try {
      port.postMessage(a);
    } catch (err) {
      port.postMessage({ id: a.id, error: errorOf(err) } satisfies EmbeddedAnswer);
    }
  };
  const pump = (): void => {
    if (busy) return;
    const req = next();
    if (!req) return;
    busy = true;
    handle(req)
      .then(
        (a) => {
          answer(a);
          // Closed: the thread ends by itself once its port is closed (so a --cpu-prof profile of it is written).
          if (req.op === 'close') port.close();
        },
        (err: unknown) => answer({ id: req.id, error: errorOf(err) }),
      )
      .finally(() => {
        busy = false;
        // PGlite in memory may answer within the same turn: the next is picked once the messages that came
        // meanwhile are queued, so a foreground one sent during a long backlog goes first.
        setImmediate(pump);
      });
  };
  port.on('message', (req: EmbeddedRequest) => {
    waiting[req.lane ?? 'foreground'].push(req);
    if (!busy) setImmediate(pump);
  });
  // A folder that cannot be opened fails every request with PGlite's error (not the thread).
  opening.catch(() => undefined);
}

main();
