/**
 * `npm run bench:receipts`: how fast Herald takes in delivery receipts on PostgreSQL, end to end. A campaign of N
 * email deliveries is recorded as sent (provider message ids as SendGrid gives them), then C clients post signed
 * SendGrid Event Webhook batches of B events (delivered, 5% hard bounces) to the account's real receipt route
 * over HTTP: signature check, parsing, one insert and one match statement per batch. Then every batch is posted
 * again (replays: counted once). Prints the rates and writes JSON to bench/results/.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import pino from 'pino';
import { request } from 'undici';
import { receiptPath, receiptRoutes } from '../src/api/receipts/receipts.routes';
import { seal } from '../src/providers/secrets';
import type { Campaign } from '../src/domain/types';
import { openStore } from '../src/store';
import { createDatabase } from '../test/helpers/database';

const { values: opts } = parseArgs({
  options: {
    receipts: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    /** Keep the database afterwards (to look at its plans). */
    keep: { type: 'boolean', default: false },
    /** Deliveries of each of the two campaigns whose sending is timed alone and during ingestion. */
    'send-recipients': { type: 'string', default: '20000' },
    'database-url': { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const N = Number(opts.receipts);
const B = Number(opts.batch);
const C = Number(opts.concurrency);

async function main(): Promise<void> {
  const db = await createDatabase(opts['database-url'], 'herald_bench_receipts');
  const store = await openStore({ databaseUrl: db.url });
  const secretsKey = randomBytes(32);
  const server = express()
    .use(receiptRoutes({ store, secretsKey, publicUrl: 'http://bench', logger: pino({ level: 'silent' }), perMinute: 1_000_000 }))
    .listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    // An account whose campaign handed N emails to SendGrid.
    const setupStarted = Date.now();
    const { accountId } = await store.createAccount('bench');
    await store.putProviderSettings(accountId, {
      channel: 'email',
      kind: 'sendgrid',
      config: { baseUrl: 'http://127.0.0.1:1', from: 'bench@acme.test', eventWebhookPublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') },
      sealedSecrets: seal({ apiKey: 'SG.bench-key' }, secretsKey),
    });
    for (let i = 0; i < N; i += 10_000) {
      const contacts = Array.from({ length: Math.min(10_000, N - i) }, (_, j) => ({
        id: `c${i + j}`,
        email: `c${i + j}@example.com`,
        pushTokens: [],
        webPushSubscriptions: [],
        attributes: {},
        suppressed: [],
      }));
      await store.upsertContacts(accountId, contacts);
    }
    const audience = await store.createAudience(accountId, 'all', { type: 'filter', all: [] });
    const campaign = await store.createCampaign(accountId, { name: 'bench', audienceId: audience.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] });
    const now = new Date();
    for (let cursor: number | null = 0; cursor !== null; ) cursor = (await store.planPage(campaign, cursor, 10_000, now)).nextCursor;
    await store.analyzeDeliveries();
    /** Claims and records every delivery of a campaign as sent, as send activities do; returns the seconds taken. */
    const sendAll = async (c: Campaign, prefix: string, batch: number): Promise<number> => {
      const started = process.hrtime.bigint();
      for (;;) {
        const key = `b${randomBytes(4).toString('hex')}`;
        const claimed = await store.claimLease(c.id, 'email', key, batch, now);
        if (claimed.length === 0) break;
        await store.recordResults(c, claimed.map((d) => ({ id: d.id, contactId: d.contact.id, state: 'sent' as const, providerMessageId: `${prefix}${d.contact.id}` })));
        await store.releaseLease(c.id, key);
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    await sendAll(campaign, 'sg', 5_000);
    // Two more campaigns to M of the contacts: one sent alone, one while receipts come in (the send path's database work).
    const M = Math.min(N, Number(opts['send-recipients']));
    const few = await store.createAudience(accountId, 'some', { type: 'list', contactIds: Array.from({ length: M }, (_, i) => `c${i}`) });
    const [alone, during] = [
      await store.createCampaign(accountId, { name: 'alone', audienceId: few.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] }),
      await store.createCampaign(accountId, { name: 'during', audienceId: few.id, channels: [{ channel: 'email', subject: 's', body: 'b' }] }),
    ];
    for (const c of [alone, during]) for (let cursor: number | null = 0; cursor !== null; ) cursor = (await store.planPage(c, cursor, 10_000, now)).nextCursor;
    await store.analyzeDeliveries();
    const token = await store.receipts.endpointToken(accountId, 'sendgrid');
    console.log(`setup: ${N} deliveries sent in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);

    const bodies: string[] = [];
    for (let i = 0; i < N; i += B) {
      const events = [];
      for (let j = i; j < Math.min(N, i + B); j++) {
        const bounce = j % 20 === 0;
        events.push({
          email: `c${j}@example.com`,
          timestamp: Math.floor(Date.now() / 1000),
          event: bounce ? 'bounce' : 'delivered',
          ...(bounce ? { type: 'bounce', reason: '550 5.1.1 unknown user' } : {}),
          sg_event_id: `ev${j}`,
          sg_message_id: `sgc${j}.filterdrecv-1`,
        });
      }
      bodies.push(JSON.stringify(events));
    }
    const url = origin + receiptPath('sendgrid', token);
    const postAll = async (from: number, to: number): Promise<number> => {
      let next = from;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: C }, async () => {
          while (next < to) {
            const body = bodies[next++]!;
            const timestamp = String(Math.floor(Date.now() / 1000));
            const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
            const res = await request(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
              body,
            });
            const text = await res.body.text();
            if (res.statusCode !== 200) throw new Error(`receipt route answered ${res.statusCode}: ${text}`);
          }
        }),
      );
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    // Half the receipts alone, then the other half while a campaign's sends are recorded, then all again (replays).
    const half = Math.floor(bodies.length / 2);
    const aloneSeconds = await postAll(0, half);
    const sendAloneSeconds = await sendAll(alone, 'a', 500);
    const [duringSeconds, sendDuringSeconds] = await Promise.all([postAll(half, bodies.length), sendAll(during, 'd', 500)]);
    const counts = (await store.receipts.countsOf([campaign.id])).get(campaign.id)!.total;
    if (counts.delivered + counts.bounced !== N) throw new Error(`counts do not add up: ${JSON.stringify(counts)}`);
    const replaySeconds = await postAll(0, bodies.length);
    const again = (await store.receipts.countsOf([campaign.id])).get(campaign.id)!.total;
    if (JSON.stringify(again) !== JSON.stringify(counts)) throw new Error('replays changed the counts');
    const receiptsIn = (from: number, to: number) => Math.min(N, to * B) - from * B;
    const result = {
      at: new Date().toISOString(),
      store: 'postgres',
      receipts: N,
      batch: B,
      concurrency: C,
      receiptsPerSecond: Math.round(receiptsIn(0, half) / aloneSeconds),
      receiptsPerSecondWhileSending: Math.round(receiptsIn(half, bodies.length) / duringSeconds),
      replaysPerSecond: Math.round(N / replaySeconds),
      sendRecordsPerSecondAlone: Math.round(M / sendAloneSeconds),
      sendRecordsPerSecondDuringIngestion: Math.round(M / sendDuringSeconds),
      sendSlowdownPercent: Math.round((1 - sendAloneSeconds / sendDuringSeconds) * 1000) / 10,
      counts,
    };
    console.log(`| receipts | batch | clients | receipts/s | receipts/s while sending | replays/s | sends recorded/s alone | during ingestion | slowdown |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    console.log(
      `| ${N} | ${B} | ${C} | ${result.receiptsPerSecond} | ${result.receiptsPerSecondWhileSending} | ${result.replaysPerSecond} | ` +
        `${result.sendRecordsPerSecondAlone} | ${result.sendRecordsPerSecondDuringIngestion} | ${result.sendSlowdownPercent}% |`,
    );
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `receipts-${result.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    server.close();
    await store.close();
    if (opts.keep) console.log(`kept ${db.url}`);
    else await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
