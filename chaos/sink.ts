/**
 * The provider the chaos run sends to: the benchmark's sink ledger (idempotency key honoured, real duplicates
 * counted) behind an HTTP server whose behaviour the run switches: answer, fail with 503, answer 429 with
 * Retry-After, or take the message and never answer (a provider that hangs after it has delivered).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SinkLedger, type SinkMessage } from '../bench/sink';

/** How the sink answers. */
export type SinkMode = 'ok' | 'error' | 'throttle' | 'hang';

/** A running chaos sink. */
export interface ChaosSink {
  url: string;
  ledger: SinkLedger;
  /** Requests answered with each fault so far. */
  faults: Record<Exclude<SinkMode, 'ok'>, number>;
  set(mode: SinkMode): void;
  close(): Promise<void>;
}

/** Starts the sink on a free loopback port. */
export function startChaosSink(): Promise<ChaosSink> {
  const ledger = new SinkLedger();
  const faults = { error: 0, throttle: 0, hang: 0 };
  const hanging = new Set<ServerResponse>();
  let mode: SinkMode = 'ok';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'error' || mode === 'throttle') {
        faults[mode]++;
        if (mode === 'error') res.writeHead(503).end('{"error":"chaos: unavailable"}');
        else res.writeHead(429, { 'retry-after': '1' }).end('{"error":"chaos: slow down"}');
        return;
      }
      const message = JSON.parse(Buffer.concat(chunks).toString()) as SinkMessage;
      const { id } = ledger.accept(String(req.headers['idempotency-key'] ?? ''), message);
      if (mode === 'hang') {
        faults.hang++;
        hanging.add(res);
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/messages`,
        ledger,
        faults,
        set(next) {
          mode = next;
          if (next !== 'hang') {
            for (const res of hanging) res.destroy();
            hanging.clear();
          }
        },
        close: () =>
          new Promise<void>((done) => {
            for (const res of hanging) res.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
