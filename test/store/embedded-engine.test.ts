/**
 * The embedded store's PGlite in its own thread behaves as it did on the main thread: one transaction at a time
 * with plain queries queued behind it, rollback when the transaction's function throws, PostgreSQL's error code
 * carried across, int8 as a number and timestamps as dates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedClient, type EmbeddedEngine } from '../../src/store/embedded';
import type { SqlClient } from '../../src/store/sql-client';

describe.each<EmbeddedEngine>(['thread', 'inline'])('the embedded store (%s)', (engine) => {
  let db: SqlClient;
  beforeAll(async () => {
    db = await openEmbeddedClient(undefined, engine);
    await db.query('CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL UNIQUE, at timestamptz NOT NULL DEFAULT now())');
  });
  afterAll(() => db.close());

  test('a plain query waits for the open transaction and sees what it committed', async () => {
    const order: string[] = [];
    let inside!: () => void;
    const opened = new Promise<void>((r) => (inside = r));
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO t (v) VALUES ('in tx')");
      inside();
      await new Promise((r) => setTimeout(r, 100));
      order.push('commit');
      return 'done';
    });
    await opened;
    const read = db.query<{ n: number }>("SELECT count(*) AS n FROM t WHERE v = 'in tx'").then((r) => {
      order.push('read');
      return r.rows[0]!.n;
    });
    expect(await tx).toBe('done');
    expect(await read).toBe(1);
    expect(order).toEqual(['commit', 'read']);
  });

  test('a transaction whose function throws is rolled back, and the error is the caller’s', async () => {
    await expect(
      db.transaction(async (t) => {
        await t.query("INSERT INTO t (v) VALUES ('rolled back')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await db.query("SELECT * FROM t WHERE v = 'rolled back'")).rows).toEqual([]);
  });

  test('PostgreSQL errors keep their message and code; int8 comes back as a number, timestamptz as a Date', async () => {
    await db.query("INSERT INTO t (v) VALUES ('once')");
    await expect(db.query("INSERT INTO t (v) VALUES ('once')")).rejects.toMatchObject({
      message: expect.stringMatching(/duplicate key/),
      code: '23505',
    });
    const { rows } = await db.query<{ id: unknown; at: unknown; big: unknown }>("SELECT id, at, 9007199254740991::int8 AS big FROM t WHERE v = 'once'");
    expect(typeof rows[0]!.id).toBe('number');
    // A Date of the thread's answers is of Node's own realm, not of jest's sandbox: compared by kind and value.
    expect(Object.prototype.toString.call(rows[0]!.at)).toBe('[object Date]');
    expect(Math.abs((rows[0]!.at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    expect(rows[0]!.big).toBe(Number.MAX_SAFE_INTEGER);
  });

});

test('a parameter that cannot be copied to the store thread fails that query alone', async () => {
  const db = await openEmbeddedClient(undefined, 'thread');
  try {
    await expect(db.query('SELECT $1::text AS v', [() => 1])).rejects.toThrow(/could not be cloned/);
    expect((await db.query<{ v: string }>('SELECT $1::text AS v', ['still here'])).rows).toEqual([{ v: 'still here' }]);
  } finally {
    await db.close();
  }
});

test('a data folder written by the store thread is there when it is opened again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-engine-'));
  try {
    const first = await openEmbeddedClient(path.join(dir, 'pglite'));
    await first.query('CREATE TABLE kept (n int)');
    await first.transaction(async (t) => t.query('INSERT INTO kept SELECT generate_series(1, 100)'));
    await first.close();
    const again = await openEmbeddedClient(path.join(dir, 'pglite'));
    expect((await again.query<{ n: number }>('SELECT count(*)::int AS n FROM kept')).rows[0]!.n).toBe(100);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('in the store thread, a query overtakes the background queries queued before it; a background transaction keeps its own', async () => {
  const db = await openEmbeddedClient(undefined, 'thread');
  try {
    const background = db.background!();
    const done: string[] = [];
    // The thread is held by a first query while everything else is sent, so all of it is queued there when it
    // picks the next: which goes first is the thread's choice, not the order the messages happened to arrive in.
    const held = db.query('SELECT pg_sleep(0.5)').then(() => done.push('held'));
    const slow = 'SELECT count(*) FROM generate_series(1, 200000)';
    const queued = Array.from({ length: 6 }, (_, i) => background.query(slow).then(() => done.push(`background ${i}`)));
    // A background transaction queued behind them, and a plain query sent while it is open: the transaction's own
    // statements go first, then the plain query.
    let during: Promise<number> | undefined;
    const tx = background.transaction(async (t) => {
      await t.query(slow);
      during = db.query('SELECT 1').then(() => done.push('foreground during the transaction'));
      await t.query(slow);
      done.push('background transaction');
    });
    await db.query('SELECT 1').then(() => done.push('foreground'));
    await Promise.all([held, ...queued, tx]);
    await during;
    // Sent after six background queries, it goes before all of them.
    expect(done.slice(0, 2)).toEqual(['held', 'foreground']);
    expect(done.slice(2, 8)).toEqual(Array.from({ length: 6 }, (_, i) => `background ${i}`));
    // A foreground query sent while the transaction is open waits for it: the transaction's statements go first.
    expect(done.slice(8)).toEqual(['background transaction', 'foreground during the transaction']);
  } finally {
    await db.close();
  }
}, 60_000);
