/** A small HTTP server on a free loopback port, for emulators of providers' clouds and the benchmark sink. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running local server. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts a server whose handler receives each request with its whole body read. A handler that throws answers
 * 500; one that never answers leaves the request hanging (which is how emulators play a provider timing out).
 */
export async function startLocalServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown,
): Promise<LocalServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve()
        .then(() => handle(req, res, Buffer.concat(chunks)))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
