/**
 * A local Postmark Email API: the server token checked, an inactive recipient answered 422 with ErrorCode 406 as
 * Postmark does, 200 with ErrorCode 0 and a MessageID otherwise. Postmark's webhooks carry basic auth (no signature).
 */
import { randomUUID, randomBytes } from 'node:crypto';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

/** A message the emulator accepted. */
export interface PostmarkMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  headers: { Name: string; Value: string }[];
}

/** A running Postmark emulator. */
export interface PostmarkEmulator {
  baseUrl: string;
  serverToken: string;
  messages: PostmarkMessage[];
  inactive: Set<string>;
  faults: Faults;
  close(): Promise<void>;
}

/** Starts the emulator on a free loopback port. */
export async function startPostmarkEmulator(): Promise<PostmarkEmulator> {
  const serverToken = randomBytes(16).toString('hex');
  const messages: PostmarkMessage[] = [];
  const inactive = new Set<string>();
  const faults = new Faults();
  const server = await startLocalServer((req, res, raw) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (faults.play(() => req.socket.destroy(), (status, headers) => reply(status, { ErrorCode: 100, Message: 'injected fault' }, headers))) return;
    if (req.method !== 'POST' || req.url !== '/email') return reply(404, { ErrorCode: 404, Message: 'not found' });
    if (req.headers['x-postmark-server-token'] !== serverToken) return reply(401, { ErrorCode: 10, Message: 'Bad or missing Server API token.' });
    const body = JSON.parse(raw.toString()) as { From?: string; To?: string; Subject?: string; TextBody?: string; Headers?: { Name: string; Value: string }[] };
    if (!body.From || !body.To) return reply(422, { ErrorCode: 300, Message: 'Invalid email request' });
    if (inactive.has(body.To)) {
      return reply(422, { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' });
    }
    const id = randomUUID();
    messages.push({ id, to: body.To, subject: body.Subject ?? '', text: body.TextBody ?? '', headers: body.Headers ?? [] });
    return reply(200, { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: id, ErrorCode: 0, Message: 'OK' });
  });
  return { baseUrl: server.origin, serverToken, messages, inactive, faults, close: server.close };
}
