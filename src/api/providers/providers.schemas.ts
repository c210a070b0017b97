/** Provider settings schemas. The per-kind fields are checked by providers/settings.ts, which names each field. */
import { z } from 'zod';
import { Timestamp } from '../common/schemas';
import { CHANNELS } from '../../domain/vocabulary';
import { PROVIDER_KINDS } from '../../providers/settings';

/** `:channel` path parameter. */
export const ChannelParams = z.object({ channel: z.enum(CHANNELS) }).strict();

/** Body of saving a channel's provider. `secrets` are write-only; leave them out to keep the stored ones. */
export const PutProviderBody = z
  .object({
    kind: z.enum(Object.keys(PROVIDER_KINDS) as [keyof typeof PROVIDER_KINDS, ...(keyof typeof PROVIDER_KINDS)[]]),
    config: z.record(z.string(), z.unknown()).default({}),
    secrets: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .meta({ id: 'PutProvider', example: { kind: 'smtp', config: { host: 'smtp.example.com', port: 587, from: 'news@example.com' }, secrets: { user: 'news', pass: 'app-password' } } });

/** Body of a test send: one message to one address through the saved settings. */
export const TestSendBody = z
  .object({
    to: z.string().min(1).max(4096),
    subject: z.string().max(998).optional(),
    body: z.string().min(1).max(10_000),
  })
  .strict()
  .meta({ id: 'TestSend' });

/** A channel's provider as the API answers it: config and the names of the secrets set, never their values. */
export const ProviderView = z.object({
  channel: z.enum(CHANNELS),
  kind: z.string(),
  config: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()),
  /** Where the provider sends delivery receipts, bounces and complaints: give it to the provider as its webhook URL. */
  receiptUrl: z.string().optional(),
  updatedAt: Timestamp,
}).meta({ id: 'Provider' });

/** What came of a test send: a classified reason and the provider's status code, never its answer's body or ids. */
export const SendOutcomeView = z.object({
  status: z.enum(['accepted', 'retryable', 'permanent']),
  error: z.string().optional(),
  httpStatus: z.number().int().optional(),
  retryAfterMs: z.number().optional(),
  suppress: z.boolean().optional(),
}).meta({ id: 'SendOutcome' });
