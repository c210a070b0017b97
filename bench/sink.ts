/**
 * The benchmark's provider: a local HTTP sink that accepts one message per POST. It honours the idempotency key
 * (a resend is answered and counted as a replay, not delivered again), counts real duplicates (the same
 * campaign, channel and contact delivered under two keys) and keeps each campaign's arrival times. Run on its
 * own (`node --import tsx bench/sink.ts`) it prints `{"url": ...}` and answers `GET /stats?campaignId=&after=&perSecond`. A
 * POST to `/messages?latencyMs=N` is answered N ms after it arrived (a provider's round trip); the message counts as
 * delivered when it arrives.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The fields of a message the sink reads (the webhook provider's JSON body). */
export interface SinkMessage {
  campaignId: string;
  channel: string;
  contactId: string;
}

/** Counts what a sink delivered. */
export class SinkLedger {
  delivered = 0;
  replays = 0;
  private duplicateTriples = 0;
  private nextId = 1;
  private readonly byKey = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private readonly arrivals = new Map<string, number[]>();

  /** Records a message under its idempotency key; returns the sink's message id and whether it was new. */
  accept(key: string, message: SinkMessage, at = Date.now()): { id: string; fresh: boolean } {
    const known = this.byKey.get(key);
    if (known) {
      this.replays++;
      return { id: known, fresh: false };
    }
    const id = `sink_${this.nextId++}`;
    this.byKey.set(key, id);
    this.delivered++;
    const triple = `${message.campaignId}/${message.channel}/${message.contactId}`;
    const times = (this.seen.get(triple) ?? 0) + 1;
    this.seen.set(triple, times);
    if (times === 2) this.duplicateTriples++;
    let list = this.arrivals.get(message.campaignId);
    if (!list) this.arrivals.set(message.campaignId, (list = []));
    list.push(at);
    return { id, fresh: true };
  }

  /** (campaign, channel, contact) triples delivered more than once. */
  duplicates(): number {
    return this.duplicateTriples;
  }

  /**
   * A campaign's deliveries: how many, the first and last arrival, and how many arrived after `after` (epoch ms);
   * with `perSecond`, also the most that arrived in any one second (what a provider's rate limit counts).
   */
  campaign(campaignId: string, after = Number.POSITIVE_INFINITY, perSecond = false) {
    const list = this.arrivals.get(campaignId) ?? [];
    let late = 0;
    for (const at of list) if (at > after) late++;
    return { count: list.length, first: list[0] ?? null, last: list.at(-1) ?? null, after: late, ...(perSecond ? { maxInAnySecond: maxInAnySecond(list) } : {}) };
  }
}

/** The most arrivals in any one second (any window [t, t + 1000 ms), not only whole clock seconds), of `times` in ms. */
export function maxInAnySecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; first < sorted.length; first++) {
    while (last < sorted.length && sorted[last]! < sorted[first]! + 1000) last++;
    most = Math.max(most, last - first);
  }
  return most;
}

/** What the sink process answers at `GET /stats`. */
export interface SinkReport {
  delivered: number;
  duplicates: number;
  replays: number;
  campaign?: ReturnType<SinkLedger['campaign']>;
  rssBytes: number;
}

/**
 * Reads the sink process's `/stats` (`sinkUrl` is its POST URL): with `campaignId`, that campaign's deliveries, how
 * many arrived after `after`, and with `perSecond` the most in any one second.
 */
export async function sinkStats(sinkUrl: string, campaignId?: string, after?: number, perSecond = false): Promise<SinkReport> {
  const url = new URL(sinkUrl.replace(/\/messages(\?.*)?$/, '/stats'));
  if (campaignId) url.searchParams.set('campaignId', campaignId);
  if (after !== undefined) url.searchParams.set('after', String(after));
  if (perSecond) url.searchParams.set('perSecond', '1');
  return (await (await fetch(url)).json()) as SinkReport;
}

/** Runs the sink on a free loopback port until the process ends. */
function main(): void {
  const ledger = new SinkLedger();
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      const url = new URL(req.url ?? '/', 'http://sink');
      const campaignId = url.searchParams.get('campaignId');
      const after = Number(url.searchParams.get('after') ?? Number.POSITIVE_INFINITY);
      const body = {
        delivered: ledger.delivered,
        replays: ledger.replays,
        duplicates: ledger.duplicates(),
        ...(campaignId ? { campaign: ledger.campaign(campaignId, after, url.searchParams.has('perSecond')) } : {}),
        rssBytes: process.memoryUsage.rss(),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const latencyMs = Number(new URL(req.url ?? '/', 'http://sink').searchParams.get('latencyMs') ?? 0);
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString()) as SinkMessage;
      const { id } = ledger.accept(String(req.headers['idempotency-key'] ?? ''), message);
      const answer = () => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages` }));
  });
}

if (require.main === module) main();
