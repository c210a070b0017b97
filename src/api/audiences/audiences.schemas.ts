/** Audience schemas: a static list of contact ids, or a filter over contact attributes. */
import { z } from 'zod';
import { Timestamp } from '../common/schemas';

const Condition = z
  .object({
    attribute: z.string().min(1).max(200),
    op: z.enum(['eq', 'neq', 'in', 'exists', 'gt', 'gte', 'lt', 'lte']),
    value: z.unknown().optional(),
  })
  .strict()
  .refine((c) => c.op === 'exists' || c.value !== undefined, { message: 'required unless op is exists', path: ['value'] })
  .refine((c) => c.op !== 'in' || Array.isArray(c.value), { message: 'must be an array when op is in', path: ['value'] })
  .meta({ id: 'Condition', example: { attribute: 'plan', op: 'eq', value: 'pro' } });

/** A group of conditions of which at least one must hold. */
const AnyGroup = z.object({ any: z.array(Condition).min(1).max(20) }).strict().meta({ id: 'AnyGroup' });

const Name = z.string().min(1).max(200);

/**
 * Body of audience creation: a list of contact ids, or a filter. A filter's `all` terms must each hold: a
 * condition, or an `{ any: [...] }` group of which one condition holds; a top-level `any` is one more such group.
 */
export const CreateAudienceBody = z.discriminatedUnion('type', [
  z.object({ name: Name, type: z.literal('list'), contactIds: z.array(z.string().min(1).max(200)).min(1).max(100_000) }).strict(),
  z
    .object({ name: Name, type: z.literal('filter'), all: z.array(z.union([Condition, AnyGroup])).max(20).default([]), any: z.array(Condition).min(1).max(20).optional() })
    .strict(),
]).meta({ id: 'CreateAudience', example: { name: 'Pro plan', type: 'filter', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] } });

/** An audience as the API answers it (`size`: contacts in it now, on the routes that count). */
export const AudienceView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['list', 'filter']),
  /** A filter's terms: each a condition, or an `any` group of conditions (empty for a list). */
  conditions: z.array(
    z.union([
      z.object({ attribute: z.string(), op: z.string(), value: z.unknown().optional() }),
      z.object({ any: z.array(z.object({ attribute: z.string(), op: z.string(), value: z.unknown().optional() })) }),
    ]),
  ),
  createdAt: Timestamp,
  size: z.number().int().optional(),
}).meta({ id: 'Audience' });

/** The audience list. */
export const AudienceList = z.object({ items: z.array(AudienceView) }).meta({ id: 'AudienceList' });
