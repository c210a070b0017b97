/**
 * Email through Amazon SES v2 `SendEmail`, with the AWS SDK v3 client (@aws-sdk/client-sesv2: SigV4 signing,
 * error types). Its requests go through Herald's shared HTTP client (providers/http.ts), so they keep its pool,
 * timeouts and host rules. The answer's MessageId is what SES's SNS notifications report back as mail.messageId.
 */
import { Readable } from 'node:stream';
import { SESv2Client, SendEmailCommand, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { unsubscribeHeaders } from './email-address';
import { HttpProvider } from './http';
import type { OutboundMessage, SendOutcome } from './provider';

/** SES settings (secrets apart). */
export interface SesConfig {
  region: string;
  /** API endpoint, `https://email.<region>.amazonaws.com` unless an emulator. */
  baseUrl?: string;
  accessKeyId: string;
  from: string;
  replyTo?: string;
  configurationSet?: string;
  /** The SNS topic SES notifications come through; when set, notifications of other topics are refused. */
  snsTopicArn?: string;
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
}

/** SES credentials. */
export interface SesSecrets {
  secretAccessKey: string;
}

/** SES error names worth another try (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors). */
const RETRYABLE = new Set(['TooManyRequestsException', 'LimitExceededException', 'SendingPausedException', 'ThrottlingException', 'InternalFailure', 'ServiceUnavailable']);

/** The request the SDK hands its HTTP handler (the fields used here). */
interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

// The SDK version is pinned; its notice about future versions needing Node 22 is not for Herald's operators.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A request body as bytes, without reading the SDK's JSON bytes adapter as a string. */
function bodyOf(body: string | Uint8Array): string | Buffer {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The Amazon SES v2 provider. */
export class SesProvider extends HttpProvider {
  readonly name = 'ses';
  private readonly client: SESv2Client;

  constructor(
    private readonly config: SesConfig,
    secrets: SesSecrets,
  ) {
    super(config, 20);
    const http = this.http;
    const requestHandler = {
      async handle(request: SdkRequest) {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(request.query ?? {})) for (const x of [v].flat()) if (x !== null) query.append(k, x);
        const qs = query.toString();
        const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${qs ? `?${qs}` : ''}`;
        const { host: _host, ...headers } = request.headers;
        const res = await http.send(url, {
          method: request.method === 'GET' ? 'GET' : 'POST',
          headers,
          ...(request.body === undefined ? {} : { body: bodyOf(request.body) }),
        });
        const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        return { response: { statusCode: res.status, headers: flat, body: Readable.from([Buffer.from(res.text)]) } };
      },
    } as unknown as SESv2ClientConfig['requestHandler'];
    this.client = new SESv2Client({
      region: config.region,
      ...(config.baseUrl ? { endpoint: config.baseUrl } : {}),
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: secrets.secretAccessKey },
      requestHandler,
      // Herald retries itself (with the delivery's attempts and backoff).
      maxAttempts: 1,
    });
  }

  protected async sendOne(m: OutboundMessage): Promise<SendOutcome> {
    const headers = Object.entries(unsubscribeHeaders(m.unsubscribeUrl)).map(([Name, Value]) => ({ Name, Value }));
    try {
      const out = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.config.from,
          Destination: { ToAddresses: [m.to] },
          ...(this.config.replyTo ? { ReplyToAddresses: [this.config.replyTo] } : {}),
          ...(this.config.configurationSet ? { ConfigurationSetName: this.config.configurationSet } : {}),
          EmailTags: [{ Name: 'herald_delivery', Value: String(m.deliveryId) }],
          Content: {
            Simple: {
              Subject: { Data: m.subject ?? '' },
              Body: { Text: { Data: m.body }, ...(m.html ? { Html: { Data: m.html } } : {}) },
              ...(headers.length > 0 ? { Headers: headers } : {}),
            },
          },
        }),
      );
      if (out.MessageId) return { status: 'accepted', providerMessageId: out.MessageId };
      return { status: 'permanent', error: 'ses: accepted without a MessageId' };
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
      const status = e.$metadata?.httpStatusCode;
      const error = `ses: ${status ? `HTTP ${status} ` : ''}${e.name}: ${e.message}`;
      if (status === undefined) return { status: 'retryable', error };
      if (RETRYABLE.has(e.name) || status === 429 || status >= 500) {
        return { status: 'retryable', error, notTaken: true, ...(status === 429 || e.name === 'TooManyRequestsException' ? { throttled: true as const } : {}) };
      }
      return { status: 'permanent', error };
    }
  }

  override async close(): Promise<void> {
    this.client.destroy();
    await super.close();
  }
}
