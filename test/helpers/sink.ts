/**
 * A local HTTP sink that stands in for a provider's cloud: it accepts one message per POST, records when each
 * arrived, honours the idempotency key (a resend is answered, counted as a replay, and not delivered again), and
 * counts real duplicates: the same campaign, channel and contact delivered under two keys.
 */
import { startLocalServer } from './local-server';

/** A message the sink delivered. */
export interface SinkRecord {
  key: string;
  campaignId: string;
  channel: string;
  contactId: string;
  at: number;
}

/** A running sink. */
export interface Sink {
  url: string;
  delivered: SinkRecord[];
  /** Resends of an idempotency key already delivered. */
  replays(): number;
  /** (campaign, channel, contact) triples delivered more than once. */
  duplicates(): number;
  forCampaign(campaignId: string): SinkRecord[];
  close(): Promise<void>;
}

/** Starts a sink on a free loopback port; each answer waits `latencyMs` after the message is recorded. */
export async function startSink(opts: { latencyMs?: number } = {}): Promise<Sink> {
  const delivered: SinkRecord[] = [];
  const byKey = new Map<string, string>();
  const seen = new Map<string, number>();
  let replays = 0;
  let nextId = 1;
  const server = await startLocalServer((req, res, body) => {
    const key = String(req.headers['idempotency-key'] ?? '');
    let id = byKey.get(key);
    if (id) {
      replays++;
    } else {
      const m = JSON.parse(body.toString()) as Omit<SinkRecord, 'key' | 'at'>;
      id = `sink_${nextId++}`;
      byKey.set(key, id);
      delivered.push({ key, campaignId: m.campaignId, channel: m.channel, contactId: m.contactId, at: Date.now() });
      const triple = `${m.campaignId}/${m.channel}/${m.contactId}`;
      seen.set(triple, (seen.get(triple) ?? 0) + 1);
    }
    const answer = JSON.stringify({ id });
    setTimeout(() => res.writeHead(202, { 'content-type': 'application/json' }).end(answer), opts.latencyMs ?? 0);
  });
  return {
    url: `${server.origin}/messages`,
    delivered,
    replays: () => replays,
    duplicates: () => [...seen.values()].filter((n) => n > 1).length,
    forCampaign: (campaignId) => delivered.filter((r) => r.campaignId === campaignId),
    close: server.close,
  };
}
