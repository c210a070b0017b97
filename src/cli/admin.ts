/**
 * The local admin endpoint of a running `npm start`: while it owns the embedded store's folder, the CLI
 * (`npm run account -- create`) works through it instead of opening the folder. It listens on 127.0.0.1 only, on
 * a port of its own, and answers only a token it writes into the data folder (readable by its user alone).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Store } from '../store/store';

/** Where a running server says how to reach its admin endpoint. */
export const ADMIN_FILE = 'admin.json';

const AdminFileSchema = z.object({ url: z.string().url(), token: z.string().min(32), pid: z.number().int() });

/** What the admin file holds: the endpoint's URL, its token and the server's pid. */
export type AdminEndpoint = z.infer<typeof AdminFileSchema>;

const CreateAccountSchema = z.object({ name: z.string().min(1).max(200) });

/** An account the admin endpoint created, as the CLI prints it. */
export interface CreatedAccount {
  accountId: string;
  apiKey: string;
}

/** How an admin request ended that was not a success. */
class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AdminRequestError(413, 'request too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AdminRequestError(400, 'the body is not JSON');
  }
}

/** Serves the admin endpoint for `store` and writes `dataDir/admin.json`; `close` stops it and removes the file. */
export async function serveAdmin(store: Store, dataDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const token = randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer((req, res) => {
    const reply = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply(401, { error: 'unauthorized' });
    if (req.method !== 'POST' || req.url !== '/admin/accounts') return reply(404, { error: 'not found' });
    readJson(req)
      .then(async (body) => {
        const parsed = CreateAccountSchema.safeParse(body);
        if (!parsed.success) throw new AdminRequestError(400, 'name: a name of 1 to 200 characters is required');
        const { accountId, apiKey } = await store.createAccount(parsed.data.name);
        reply(201, { accountId, apiKey } satisfies CreatedAccount);
      })
      .catch((err: unknown) =>
        err instanceof AdminRequestError ? reply(err.status, { error: err.message }) : reply(500, { error: String(err) }),
      );
  });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const file = path.join(dataDir, ADMIN_FILE);
  rmSync(file, { force: true }); // one left by a server killed earlier: made anew, so readable by this user only
  writeFileSync(file, `${JSON.stringify({ url, token, pid: process.pid } satisfies AdminEndpoint)}\n`, { mode: 0o600 });
  return {
    url,
    close: async () => {
      if (readAdminEndpoint(dataDir)?.token === token) unlinkSync(file);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The admin endpoint a running server left in `dataDir`, if any. */
export function readAdminEndpoint(dataDir: string): AdminEndpoint | undefined {
  try {
    const parsed = AdminFileSchema.safeParse(JSON.parse(readFileSync(path.join(dataDir, ADMIN_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Creates an account through the running server's admin endpoint; undefined when no server answers there. */
export async function createAccountThroughServer(dataDir: string, name: string): Promise<(CreatedAccount & { pid: number }) | undefined> {
  const endpoint = readAdminEndpoint(dataDir);
  if (!endpoint) return undefined;
  let res: Response;
  try {
    res = await fetch(`${endpoint.url}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return undefined; // a file left by a server that is gone
  }
  const body = (await res.json().catch(() => ({}))) as Partial<CreatedAccount> & { error?: string };
  if (res.status !== 201 || !body.accountId || !body.apiKey) {
    throw new Error(`the running server (pid ${endpoint.pid}) refused: ${res.status} ${body.error ?? ''}`);
  }
  return { accountId: body.accountId, apiKey: body.apiKey, pid: endpoint.pid };
}
