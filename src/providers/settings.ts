/**
 * Provider settings per account and channel: their schemas (validated on save), which kinds serve which
 * channel, and building a provider from stored settings. Secrets are write-only: accepted on save, sealed in
 * the store, never returned, logged, or passed through workflow history (activities read them from the store).
 */
import { createPublicKey } from 'node:crypto';
import { importPKCS8 } from 'jose';
import { z } from 'zod';
import { InvalidInputError } from '../domain/errors';
import type { Channel } from '../domain/vocabulary';
import type { StoredProviderSettings } from '../store/store';
import { VONAGE_SIGNATURE_METHODS } from '../receipts/vonage';
import { STRICT_EGRESS, checkSmtpSetting, checkUrlSetting, type EgressPolicy } from './egress';
import type { SharedLimits } from './limits';
import type { Provider } from './provider';
import { SandboxProvider } from './sandbox';
import { unseal } from './secrets';
import { WebhookProvider } from './webhook';

const Pacing = {
  concurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(100_000).optional(),
  /** Per-request timeout; a timed-out message is retried. */
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
};
const base64url = (bytes: number, what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `must be a ${what} (${bytes} bytes, base64url)`);

const EmailFrom = z.string().min(3).max(320).regex(/@/, 'must contain an email address');

/** Settings of each provider kind: `config` is returned by the API, `secrets` never is. */
export const PROVIDER_KINDS = {
  smtp: {
    channels: ['email'],
    config: z
      .object({
        host: z.string().min(1).max(255),
        port: z.number().int().min(1).max(65_535),
        secure: z.boolean().default(false),
        requireTLS: z.boolean().optional(),
        rejectUnauthorized: z.boolean().optional(),
        ca: z.string().max(20_000).includes('BEGIN CERTIFICATE', { message: 'must be PEM certificates' }).optional(),
        from: z.string().min(3).max(320).regex(/@/, 'must contain an email address'),
        replyTo: z.email().optional(),
        maxConnections: z.number().int().min(1).max(100).optional(),
        ratePerSecond: Pacing.ratePerSecond,
      })
      .strict(),
    secrets: z.object({ user: z.string().min(1).max(500).optional(), pass: z.string().max(500).optional() }).strict(),
  },
  twilio: {
    channels: ['sms'],
    config: z
      .object({
        baseUrl: z.url().default('https://api.twilio.com'),
        accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID: AC and 32 hex digits'),
        from: z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a messaging service SID'),
        statusCallback: z.url().optional(),
        cancelWindowSeconds: z.number().int().min(0).max(35 * 86_400).optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ authToken: z.string().min(16).max(200) }).strict(),
  },
  fcm: {
    channels: ['push'],
    config: z
      .object({ projectId: z.string().min(1).max(200), baseUrl: z.url().default('https://fcm.googleapis.com'), ...Pacing })
      .strict(),
    secrets: z
      .object({
        serviceAccount: z.looseObject({
          client_email: z.email(),
          private_key: z.string().min(100).includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
          token_uri: z.url().default('https://oauth2.googleapis.com/token'),
        }),
      })
      .strict(),
  },
  webpush: {
    channels: ['webpush'],
    config: z
      .object({
        subject: z.string().regex(/^(mailto:|https:)/, 'must be a mailto: or https: URL'),
        publicKey: base64url(65, 'VAPID public key'),
        ttlSeconds: z.number().int().min(0).max(2_419_200).optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ privateKey: base64url(32, 'VAPID private key') }).strict(),
  },
  sendgrid: {
    channels: ['email'],
    config: z
      .object({
        baseUrl: z.url().default('https://api.sendgrid.com'),
        from: EmailFrom,
        replyTo: z.email().optional(),
        /** The signed Event Webhook's verification key (base64 DER, as SendGrid shows it). */
        eventWebhookPublicKey: z.string().max(500).regex(/^[A-Za-z0-9+/=]+$/, 'must be base64 (the verification key SendGrid shows)').optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ apiKey: z.string().min(10).max(500) }).strict(),
  },
  postmark: {
    channels: ['email'],
    config: z
      .object({
        baseUrl: z.url().default('https://api.postmarkapp.com'),
        from: EmailFrom,
        replyTo: z.email().optional(),
        messageStream: z.string().min(1).max(100).optional(),
        webhookUsername: z.string().min(1).max(100).optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ serverToken: z.string().min(10).max(200), webhookPassword: z.string().min(16).max(200).optional() }).strict(),
  },
  mailgun: {
    channels: ['email'],
    config: z
      .object({
        baseUrl: z.url().default('https://api.mailgun.net'),
        domain: z.string().min(3).max(255).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'),
        from: EmailFrom,
        replyTo: z.email().optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ apiKey: z.string().min(10).max(200), webhookSigningKey: z.string().min(10).max(200).optional() }).strict(),
  },
  ses: {
    channels: ['email'],
    config: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
        baseUrl: z.url().optional(),
        accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'must be an AWS access key id'),
        from: EmailFrom,
        replyTo: z.email().optional(),
        configurationSet: z.string().min(1).max(64).optional(),
        snsTopicArn: z.string().regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, 'must be an SNS topic ARN').optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ secretAccessKey: z.string().min(16).max(200) }).strict(),
  },
  vonage: {
    channels: ['sms'],
    config: z
      .object({
        baseUrl: z.url().default('https://rest.nexmo.com'),
        apiKey: z.string().regex(/^[0-9a-zA-Z]{6,32}$/, 'must be a Vonage API key'),
        from: z.string().regex(/^(\+?[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/, 'must be a number or an alphanumeric sender id of up to 11 characters'),
        signatureMethod: z.enum(VONAGE_SIGNATURE_METHODS).optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ apiSecret: z.string().min(6).max(200), signatureSecret: z.string().min(16).max(200).optional() }).strict(),
  },
  apns: {
    channels: ['push'],
    config: z
      .object({
        baseUrl: z.url().default('https://api.push.apple.com'),
        teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be a 10-character Apple team id'),
        keyId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be a 10-character key id'),
        bundleId: z.string().regex(/^[A-Za-z0-9.-]{1,155}$/, 'must be a bundle id'),
        ca: z.string().max(20_000).includes('BEGIN CERTIFICATE', { message: 'must be PEM certificates' }).optional(),
        ...Pacing,
      })
      .strict(),
    secrets: z.object({ privateKey: z.string().min(100).max(5000).includes('PRIVATE KEY', { message: 'must be the .p8 key (PEM)' }) }).strict(),
  },
  webhook: {
    channels: ['email', 'sms', 'push', 'webpush'],
    config: z.object({ url: z.url(), ...Pacing }).strict(),
    secrets: z.object({ authorization: z.string().max(2000).optional() }).strict(),
  },
  sandbox: {
    channels: ['email', 'sms', 'push', 'webpush'],
    config: z.object({ latencyMs: z.number().int().min(0).max(60_000).optional() }).strict(),
    secrets: z.object({}).strict(),
  },
} as const satisfies Record<string, { channels: readonly Channel[]; config: z.ZodType; secrets: z.ZodType }>;

/** One provider kind. */
export type ProviderKind = keyof typeof PROVIDER_KINDS;

/** Validated settings ready to store: config in the clear, secrets still in the clear (seal before storing). */
export interface ParsedSettings {
  kind: ProviderKind;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

/**
 * Validates settings for `channel`: the kind must serve the channel, config and secrets must match its schema,
 * and keys must load. `previousSecrets` are kept when `secrets` is not given (so config can change alone).
 */
export async function parseSettings(
  channel: Channel,
  input: { kind: ProviderKind; config: unknown; secrets?: unknown },
  previousSecrets?: Record<string, unknown>,
  egress: EgressPolicy = STRICT_EGRESS,
): Promise<ParsedSettings> {
  const spec = PROVIDER_KINDS[input.kind];
  if (!(spec.channels as readonly Channel[]).includes(channel)) {
    throw InvalidInputError.field('kind', `${input.kind} cannot send ${channel} (it sends ${spec.channels.join(', ')})`);
  }
  const config = check(spec.config, input.config ?? {}, 'config');
  const secrets = check(spec.secrets, input.secrets ?? previousSecrets ?? {}, 'secrets');
  if (input.kind === 'fcm') {
    const { private_key } = (secrets as { serviceAccount: { private_key: string } }).serviceAccount;
    await importPKCS8(private_key, 'RS256').catch((err: Error) => {
      throw InvalidInputError.field('secrets.serviceAccount.private_key', `does not load as an RS256 key: ${err.message}`);
    });
  }
  if (input.kind === 'apns') {
    await importPKCS8((secrets as { privateKey: string }).privateKey, 'ES256').catch((err: Error) => {
      throw InvalidInputError.field('secrets.privateKey', `does not load as an ES256 (.p8) key: ${err.message}`);
    });
  }
  if (input.kind === 'sendgrid' && typeof config.eventWebhookPublicKey === 'string') {
    try {
      const key = createPublicKey({ key: Buffer.from(config.eventWebhookPublicKey, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ec') throw new Error('not an EC key');
    } catch (err) {
      throw InvalidInputError.field('config.eventWebhookPublicKey', `does not load as an ECDSA public key: ${(err as Error).message}`);
    }
  }
  await checkDestinations(input.kind, config, secrets, egress);
  return { kind: input.kind, config, secrets };
}

/** Refuses settings that point Herald at an address the egress policy forbids (400 naming the field). */
async function checkDestinations(kind: ProviderKind, config: Record<string, unknown>, secrets: Record<string, unknown>, egress: EgressPolicy): Promise<void> {
  switch (kind) {
    case 'smtp':
      return checkSmtpSetting(egress, config.host as string, config.port as number, 'config.host');
    case 'twilio':
      return checkUrlSetting(egress, config.baseUrl as string, 'config.baseUrl');
    case 'fcm':
      await checkUrlSetting(egress, config.baseUrl as string, 'config.baseUrl');
      return checkUrlSetting(egress, (secrets as { serviceAccount: { token_uri: string } }).serviceAccount.token_uri, 'secrets.serviceAccount.token_uri');
    case 'webhook':
      return checkUrlSetting(egress, config.url as string, 'config.url');
    default:
      return undefined;
  }
}

/**
 * The providers with a module of their own (all but the webhook and the sandbox, which the default provider needs),
 * each loaded with its SDK (AWS's, nodemailer, web-push, ...) the first time an account uses it: a worker carries
 * only the ones in use.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const lazyProviders = {
  smtp: () => (require('./smtp') as typeof import('./smtp')).SmtpProvider,
  twilio: () => (require('./twilio') as typeof import('./twilio')).TwilioSmsProvider,
  fcm: () => (require('./fcm') as typeof import('./fcm')).FcmProvider,
  webpush: () => (require('./webpush') as typeof import('./webpush')).WebPushProvider,
  sendgrid: () => (require('./sendgrid') as typeof import('./sendgrid')).SendgridProvider,
  postmark: () => (require('./postmark') as typeof import('./postmark')).PostmarkProvider,
  mailgun: () => (require('./mailgun') as typeof import('./mailgun')).MailgunProvider,
  ses: () => (require('./ses') as typeof import('./ses')).SesProvider,
  vonage: () => (require('./vonage') as typeof import('./vonage')).VonageSmsProvider,
  apns: () => (require('./apns') as typeof import('./apns')).ApnsProvider,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Builds the provider stored settings describe; every connection it opens obeys `egress`. With `shared` (the account
 * provider's limits in the store) its `ratePerSecond` and `concurrency` hold across every worker.
 */
export function buildProvider(
  settings: Pick<StoredProviderSettings, 'kind' | 'config' | 'sealedSecrets'>,
  secretsKey: Buffer,
  egress: EgressPolicy = STRICT_EGRESS,
  shared?: SharedLimits,
): Provider {
  const secrets = settings.sealedSecrets ? unseal<Record<string, unknown>>(settings.sealedSecrets, secretsKey) : {};
  const config = { ...settings.config, egress, ...(shared ? { shared } : {}) };
  const kind = settings.kind as ProviderKind;
  if (kind === 'webhook') return new WebhookProvider({ ...(config as unknown as { url: string }), ...(secrets as { authorization?: string }) });
  if (kind === 'sandbox') return new SandboxProvider(settings.config);
  if (!Object.hasOwn(lazyProviders, kind)) throw new Error(`unknown provider kind ${settings.kind}`);
  return new (lazyProviders[kind]())(config as never, secrets as never);
}

function check(schema: z.ZodType, value: unknown, where: string): Record<string, unknown> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new InvalidInputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}
