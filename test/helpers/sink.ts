/**
 * A local HTTP sink that stands in for a provider's cloud, in the test process: the benchmark sink's ledger
 * (idempotency key honoured, real duplicates counted) plus every delivered message with its arrival time.
 */
import { SinkLedger, type SinkMessage } from '../../bench/sink';
import { startLocalServer } from './local-server';

/** A message the sink delivered. */
export interface SinkRecord extends SinkMessage {
  key: string;
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
  /** The most requests it held at once (received, not yet answered). */
  mostInFlight(): number;
  close(): Promise<void>;
}

/** Starts a sink on a free loopback port; each answer waits `latencyMs` after the message is recorded. */
export async function startSink(opts: { latencyMs?: number } = {}): Promise<Sink> {
  const ledger = new SinkLedger();
  const delivered: SinkRecord[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const server = await startLocalServer((req, res, body) => {
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    const key = String(req.headers['idempotency-key'] ?? '');
    const m = JSON.parse(body.toString()) as SinkMessage;
    const at = Date.now();
    const { id, fresh } = ledger.accept(key, m, at);
    if (fresh) delivered.push({ key, campaignId: m.campaignId, channel: m.channel, contactId: m.contactId, at });
    const answer = JSON.stringify({ id });
    setTimeout(() => {
      inFlight--;
      res.writeHead(202, { 'content-type': 'application/json' }).end(answer);
    }, opts.latencyMs ?? 0);
  });
  return {
    url: `${server.origin}/messages`,
    delivered,
    replays: () => ledger.replays,
    duplicates: () => ledger.duplicates(),
    forCampaign: (campaignId) => delivered.filter((r) => r.campaignId === campaignId),
    mostInFlight: () => mostInFlight,
    close: server.close,
  };
}
