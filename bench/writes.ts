/**
 * `npx tsx bench/writes.ts [--recipients N]`: the row writes per message on the send path, from PostgreSQL's own
 * counters (pg_stat_user_tables). It plans one campaign of N recipients straight on the store (no Temporal, no
 * HTTP), then claims, hands over and records it as send activities do (batches of 500, chunks of 50), and prints
 * per table the inserted, updated (HOT or not) and deleted rows per message of the sending part only.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore } from '../src/store';
import { createDatabase } from '../test/helpers/database';

const { values: opts } = parseArgs({
  options: {
    recipients: { type: 'string', default: '20000' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const N = Number(opts.recipients);

interface TableStats {
  relname: string;
  ins: number;
  upd: number;
  hot: number;
  del: number;
}

/** The counters of every table, read on a connection of its own (a backend flushes its counters when it ends). */
async function stats(url: string): Promise<Map<string, TableStats>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<TableStats>(
      'SELECT relname, n_tup_ins::int AS ins, n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot, n_tup_del::int AS del FROM pg_stat_user_tables',
    );
    return new Map(rows.map((r) => [r.relname, r]));
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { url, drop } = await createDatabase(opts['database-url'], 'herald_writes');
  try {
    let store = await openStore({ databaseUrl: url });
    const { accountId } = await store.createAccount('writes');
    for (let from = 0; from < N; from += 10_000) {
      const contacts = Array.from({ length: Math.min(10_000, N - from) }, (_, k) => ({
        id: `w${from + k}`,
        email: `w${from + k}@example.com`,
        pushTokens: [],
        webPushSubscriptions: [],
        attributes: {},
        suppressed: [],
      }));
      await store.upsertContacts(accountId, contacts as never);
    }
    const audience = await store.createAudience(accountId, 'all', { type: 'filter', all: [] });
    const campaign = await store.createCampaign(accountId, { name: 'writes', audienceId: audience.id, channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] as never });
    for (let cursor: number | null = 0; cursor !== null; ) cursor = (await store.planPage(campaign, cursor, 5000, new Date())).nextCursor;
    await store.analyzeDeliveries();
    // Closing the store ends its connections, which flushes their counters.
    await store.close();
    const before = await stats(url);

    store = await openStore({ databaseUrl: url });
    let batch = 0;
    for (;;) {
      const key = `b${batch++}`;
      const claimed = await store.claimLease(campaign.id, 'email', key, 500, new Date());
      if (claimed.length === 0) break;
      for (let i = 0; i < claimed.length; i += 50) {
        const chunk = claimed.slice(i, i + 50);
        const handed = chunk.map((d) => d.id);
        await store.handOver(campaign.id, key, handed);
        await store.recordResults(campaign, chunk.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent' as const, providerMessageId: `p${d.id}` })), { batchKey: key, handed });
      }
      await store.releaseLease(campaign.id, key);
    }
    await store.close();
    await new Promise((r) => setTimeout(r, 500));
    const after = await stats(url);
    console.log(`writes per message sending ${N.toLocaleString('en')} recipients (pg_stat_user_tables deltas / messages):`);
    console.log('| table | inserts | updates | of them HOT | deletes |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    let total = 0;
    for (const [name, a] of after) {
      const b = before.get(name) ?? { relname: name, ins: 0, upd: 0, hot: 0, del: 0 };
      const d = { ins: a.ins - b.ins, upd: a.upd - b.upd, hot: a.hot - b.hot, del: a.del - b.del };
      if (d.ins + d.upd + d.del === 0) continue;
      total += d.ins + d.upd + d.del;
      const per = (x: number) => (x / N).toFixed(3);
      console.log(`| ${name} | ${per(d.ins)} | ${per(d.upd)} | ${per(d.hot)} | ${per(d.del)} |`);
    }
    console.log(`| all | | | | ${(total / N).toFixed(3)} row writes per message |`);
  } finally {
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
