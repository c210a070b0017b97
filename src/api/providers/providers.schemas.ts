/** Provider settings schemas. The per-kind fields are checked by providers/settings.ts, which names each field. */
import { z } from 'zod';
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
  .strict();

/** Body of a test send: one message to one address through the saved settings. */
export const TestSendBody = z
  .object({
    to: z.string().min(1).max(4096),
    subject: z.string().max(998).optional(),
    body: z.string().min(1).max(10_000),
  })
  .strict();
