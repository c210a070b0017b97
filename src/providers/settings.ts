/**
 * Provider settings per account and channel: their schemas (validated on save), which kinds serve which
 * channel, and building a provider from stored settings. Secrets are write-only: accepted on save, sealed in
 * the store, never returned, logged, or passed through workflow history (activities read them from the store).
 */
import { importPKCS8 } from 'jose';
import { z } from 'zod';
import { InvalidInputError } from '../domain/errors';
import type { Channel } from '../domain/vocabulary';
import type { StoredProviderSettings } from '../store/store';
import { STRICT_EGRESS, checkSmtpSetting, checkUrlSetting, type EgressPolicy } from './egress';
import { FcmProvider } from './fcm';
import type { Provider } from './provider';
import { SandboxProvider } from './sandbox';
import { unseal } from './secrets';
import { SmtpProvider } from './smtp';
import { TwilioSmsProvider } from './twilio';
import { WebhookProvider } from './webhook';
import { WebPushProvider } from './webpush';

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
  webhook: {
    channels: ['email', 'sms', 'push', 'webpush'],
    config: z.object({ url: z.url(), timeoutMs: Pacing.timeoutMs, concurrency: Pacing.concurrency }).strict(),
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

/** Builds the provider stored settings describe; every connection it opens obeys `egress`. */
export function buildProvider(
  settings: Pick<StoredProviderSettings, 'kind' | 'config' | 'sealedSecrets'>,
  secretsKey: Buffer,
  egress: EgressPolicy = STRICT_EGRESS,
): Provider {
  const secrets = settings.sealedSecrets ? unseal<Record<string, unknown>>(settings.sealedSecrets, secretsKey) : {};
  const config = { ...settings.config, egress };
  switch (settings.kind as ProviderKind) {
    case 'smtp':
      return new SmtpProvider(config as never, secrets as never);
    case 'twilio':
      return new TwilioSmsProvider(config as never, secrets as never);
    case 'fcm':
      return new FcmProvider(config as never, secrets as never);
    case 'webpush':
      return new WebPushProvider(config as never, secrets as never);
    case 'webhook':
      return new WebhookProvider({ ...(config as unknown as { url: string }), ...(secrets as { authorization?: string }) });
    case 'sandbox':
      return new SandboxProvider(settings.config);
    default:
      throw new Error(`unknown provider kind ${settings.kind}`);
  }
}

function check(schema: z.ZodType, value: unknown, where: string): Record<string, unknown> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new InvalidInputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}
