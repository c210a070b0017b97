/**
 * A local Amazon SES v2 API and the SNS topic its notifications come through. SES: `POST /v2/email/outbound-emails`
 * with a SigV4 Authorization header for the configured access key and region, MessageRejected (400) for a refused
 * address, TooManyRequestsException (429) on a fault. SNS: messages signed as SNS signs them (SignatureVersion 2,
 * SHA256withRSA over the canonical fields) with the key of a certificate the emulator serves at SigningCertURL, and
 * a SubscribeURL that records the confirmation. Herald trusts the emulator's origin by configuration.
 */
import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalServer } from '../helpers/local-server';
import { Faults } from './faults';

const CERT = readFileSync(path.join(__dirname, 'tls', 'cert.pem'), 'utf8');
const KEY = createPrivateKey(readFileSync(path.join(__dirname, 'tls', 'key.pem')));

/** A message the emulator accepted. */
export interface SesMessage {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  headers: { Name: string; Value: string }[];
}

/** A running SES + SNS emulator. */
export interface SesEmulator {
  baseUrl: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  topicArn: string;
  messages: SesMessage[];
  rejected: Set<string>;
  faults: Faults;
  /** Subscription tokens confirmed through SubscribeURL. */
  confirmed: string[];
  /** An SNS Notification carrying an SES event, signed (fields can be overridden after signing to tamper). */
  notification(sesEvent: Record<string, unknown>, topicArn?: string): Record<string, string>;
  /** A signed SNS SubscriptionConfirmation. */
  subscriptionConfirmation(): Record<string, string>;
  close(): Promise<void>;
}

/** The string SNS signs for a message. */
function stringToSign(m: Record<string, string>): string {
  const fields = m.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.filter((f) => m[f] !== undefined).map((f) => `${f}\n${m[f]}\n`).join('');
}

/** Starts the emulator on a free loopback port. */
export async function startSesEmulator(): Promise<SesEmulator> {
  const region = 'eu-west-1';
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('base64');
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:herald-ses';
  const messages: SesMessage[] = [];
  const rejected = new Set<string>();
  const confirmed: string[] = [];
  const faults = new Faults();
  const server = await startLocalServer((req, res, raw) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/SimpleNotificationService-test.pem') return res.writeHead(200).end(CERT);
    if (req.method === 'GET' && url.searchParams.get('Action') === 'ConfirmSubscription') {
      confirmed.push(url.searchParams.get('Token') ?? '');
      return res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    }
    const reply = (status: number, body: object, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const faulted = faults.play(
      () => req.socket.destroy(),
      (status, headers) =>
        reply(status, { message: 'injected fault' }, { 'x-amzn-errortype': status === 429 ? 'TooManyRequestsException' : 'InternalFailure', ...headers }),
    );
    if (faulted) return;
    if (req.method !== 'POST' || url.pathname !== '/v2/email/outbound-emails') return reply(404, { message: 'not found' }, { 'x-amzn-errortype': 'NotFoundException' });
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`) || !auth.includes(`/${region}/ses/aws4_request`) || !req.headers['x-amz-date']) {
      return reply(403, { message: 'The security token included in the request is invalid.' }, { 'x-amzn-errortype': 'UnrecognizedClientException' });
    }
    const body = JSON.parse(raw.toString()) as {
      FromEmailAddress?: string;
      Destination?: { ToAddresses?: string[] };
      Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } }; Headers?: { Name: string; Value: string }[] } };
    };
    const to = body.Destination?.ToAddresses?.[0] ?? '';
    if (rejected.has(to)) return reply(400, { message: `Email address is not verified: ${to}` }, { 'x-amzn-errortype': 'MessageRejected' });
    const id = `0102${randomBytes(14).toString('hex')}-${randomUUID()}-000000`;
    const simple = body.Content?.Simple;
    messages.push({ id, to, from: body.FromEmailAddress ?? '', subject: simple?.Subject?.Data ?? '', text: simple?.Body?.Text?.Data ?? '', headers: simple?.Headers ?? [] });
    return reply(200, { MessageId: id });
  });
  const signed = (m: Record<string, string>) => {
    const full = { ...m, SignatureVersion: '2', SigningCertURL: `${server.origin}/SimpleNotificationService-test.pem` };
    return { ...full, Signature: sign('sha256', Buffer.from(stringToSign(full)), KEY).toString('base64') };
  };
  return {
    baseUrl: server.origin,
    region,
    accessKeyId,
    secretAccessKey,
    topicArn,
    messages,
    rejected,
    faults,
    confirmed,
    notification(sesEvent, arn = topicArn) {
      return signed({ Type: 'Notification', MessageId: randomUUID(), TopicArn: arn, Message: JSON.stringify(sesEvent), Timestamp: new Date().toISOString() });
    },
    subscriptionConfirmation() {
      const token = randomBytes(32).toString('hex');
      return signed({
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        Token: token,
        TopicArn: topicArn,
        Message: `You have chosen to subscribe to the topic ${topicArn}.`,
        SubscribeURL: `${server.origin}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`,
        Timestamp: new Date().toISOString(),
      });
    },
    close: server.close,
  };
}
