/**
 * `npx tsx bench/store-growth.ts [--recipients N] [--engine thread|inline]`: whether the embedded store slows
 * down as a campaign grows. It plans one campaign of N recipients straight on the store (no Temporal, no HTTP),
 * then claims and records it as send activities do (batches of 500, outcomes per chunk of 50, four batches at
 * once), printing the rate of each tenth of the campaign and the plans (EXPLAIN ANALYZE, run in a transaction
 * that is rolled back) of the claim and the result write at the start and at the end.
 */
import { parseArgs } from 'node:util';
import { openEmbeddedClient, type EmbeddedEngine } from '../src/store/embedded';
import { migrate } from '../src/store/migrate';
import { textOf, type SqlClient } from '../src/store/sql-client';
import { sqlStore } from '../src/store/sql-store';

const { values: opts } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    engine: { type: 'string', default: 'thread' },
    lanes: { type: 'string', default: '4' },
    set: { type: 'string', multiple: true, default: [] },
    'vacuum-every': { type: 'string', default: '0' },
  },
});
const N = Number(opts.recipients);
const LANES = Number(opts.lanes);
const VACUUM_EVERY = Number(opts['vacuum-every']);

/** A client that, while `probe` is set, first runs EXPLAIN ANALYZE of the claim and the result write (rolled back). */
function explaining(db: SqlClient) {
  const plans: Record<string, string> = {};
  let probe = '';
  const client: SqlClient = {
    ...db,
    query: async (statement, params) => {
      const sql = textOf(statement);
      const kind = /INSERT INTO leases/.test(sql) ? 'claim' : /INSERT INTO events/.test(sql) && /unnest/.test(sql) ? 'record' : undefined;
      if (probe && kind && !plans[`${probe} ${kind}`]) {
        await db
          .transaction(async (tx) => {
            const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) ${sql}`, params);
            plans[`${probe} ${kind}`] = rows.map((r) => r['QUERY PLAN']).join('\n');
            throw new Error('rollback');
          })
          .catch(() => undefined);
      }
      return db.query(statement, params);
    },
  };
  return { client, plans, setProbe: (p: string) => (probe = p) };
}

async function main(): Promise<void> {
  const raw = await openEmbeddedClient(undefined, opts.engine as EmbeddedEngine);
  await migrate(raw);
  for (const setting of opts.set) await raw.query(`SET ${setting}`); // e.g. --set random_page_cost=1.1
  const { client, plans, setProbe } = explaining(raw);
  const store = sqlStore(client);
  const { accountId } = await store.createAccount('growth');
  for (let from = 0; from < N; from += 10_000) {
    const contacts = Array.from({ length: Math.min(10_000, N - from) }, (_, k) => ({
      id: `g${from + k}`,
      email: `g${from + k}@example.com`,
      pushTokens: [],
      webPushSubscriptions: [],
      attributes: { first_name: `G${from + k}` },
      suppressed: [],
    }));
    await store.upsertContacts(accountId, contacts);
  }
  const audience = await store.createAudience(accountId, 'all', { type: 'filter', all: [] });
  const campaign = await store.createCampaign(accountId, {
    name: 'growth',
    audienceId: audience.id,
    channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }] as never,
  });
  const planStart = Date.now();
  for (let cursor: number | null = 0; cursor !== null; ) {
    cursor = (await store.planPage(campaign, cursor, 5000, new Date())).nextCursor;
  }
  await store.analyzeDeliveries();
  console.log(`${opts.engine}: planned ${N} in ${((Date.now() - planStart) / 1000).toFixed(1)} s`);

  let done = 0;
  let batch = 0;
  let tenth = 1;
  let sliceStart = Date.now();
  const started = sliceStart;
  const rates: number[] = [];
  const vacuums: number[] = [];
  let nextVacuum = VACUUM_EVERY;
  setProbe('start');
  const lane = async () => {
    for (;;) {
      const key = `b${batch++}`;
      const claimed = await store.claimLease(campaign.id, 'email', key, 500, new Date());
      if (claimed.length === 0) return;
      for (let i = 0; i < claimed.length; i += 50) {
        const chunk = claimed.slice(i, i + 50);
        const handed = chunk.map((d) => d.id);
        await store.handOver(campaign.id, key, handed);
        await store.recordResults(
          campaign,
          chunk.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent' as const, providerMessageId: `p${d.id}` })),
          { batchKey: key, handed },
        );
        done += chunk.length;
        if (VACUUM_EVERY > 0 && done >= nextVacuum) {
          nextVacuum += VACUUM_EVERY;
          const t = Date.now();
          await raw.query('VACUUM (ANALYZE) deliveries');
          vacuums.push(Date.now() - t);
        }
        if (done >= (N * tenth) / 10) {
          rates.push(Math.round(N / 10 / ((Date.now() - sliceStart) / 1000)));
          sliceStart = Date.now();
          tenth++;
          if (tenth === 2) setProbe('');
          if (tenth === 10) setProbe('end');
        }
      }
      await store.releaseLease(campaign.id, key);
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  const total = Math.round(N / ((Date.now() - started) / 1000));
  console.log(`${opts.engine}: ${N} claimed and recorded at ${total}/s; per tenth: ${rates.join(', ')} /s`);
  if (vacuums.length > 0) console.log(`VACUUM (ANALYZE) deliveries took ${vacuums.join(', ')} ms`);
  for (const [k, plan] of Object.entries(plans)) console.log(`--- ${k}\n${plan}`);
  await store.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
