/** API key management schemas. */
import { z } from 'zod';
import { Timestamp } from '../common/schemas';
import { SCOPES } from '../../domain/vocabulary';

/** Body of key creation: a name to recognise it by, and its scope. */
export const CreateKeyBody = z
  .object({
    name: z.string().min(1).max(200),
    scope: z.enum(SCOPES),
  })
  .strict()
  .meta({ id: 'CreateApiKey', example: { name: 'Ops console', scope: 'control' } });

/** A key as listed: never the key itself or its hash. */
export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(SCOPES),
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
}).meta({ id: 'ApiKey' });

/** A key just created: the only answer that carries the key. */
export const CreatedKeyView = ApiKeyView.extend({ key: z.string().describe('The API key: shown this once, stored hashed') }).meta({ id: 'CreatedApiKey' });

/** The key list. */
export const ApiKeyList = z.object({ items: z.array(ApiKeyView) }).meta({ id: 'ApiKeyList' });
