/** Contact import and listing schemas. */
import { z } from 'zod';
import { CHANNELS, SUPPRESSION_CAUSES } from '../../domain/vocabulary';
import { Limit, NumericCursor, Timestamp } from '../common/schemas';

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** How deep a contact's attributes may nest, and how large they may be as JSON. */
export const ATTRIBUTE_LIMITS = { depth: 8, bytes: 64 * 1024 } as const;

/** The nesting depth of a JSON value (iterative: the input's depth cannot overflow the stack). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (!v || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) if (child && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A contact's attributes: any JSON object, at most ATTRIBUTE_LIMITS deep and large. */
const Attributes = z
  .record(z.string().max(200), z.unknown())
  .superRefine((attrs, ctx) => {
    if (depthOf(attrs) > ATTRIBUTE_LIMITS.depth) ctx.addIssue({ code: 'custom', message: `nested deeper than ${ATTRIBUTE_LIMITS.depth} levels` });
    else if (Buffer.byteLength(JSON.stringify(attrs)) > ATTRIBUTE_LIMITS.bytes) {
      ctx.addIssue({ code: 'custom', message: `larger than ${ATTRIBUTE_LIMITS.bytes / 1024} KB as JSON` });
    }
  });

/** A contact as imported. Import replaces every field of an existing contact with the same id. */
export const ContactInput = z
  .object({
    id: z.string().min(1).max(200),
    email: z.email().nullish(),
    phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +14155550100').nullish(),
    pushTokens: z.array(z.string().min(1).max(4096)).max(20).default([]),
    webPushSubscriptions: z
      .array(
        z.object({
          // Its address is checked when a push goes out (see src/providers/egress.ts); here only its scheme.
          endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
          keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(200) }),
        }),
      )
      .max(20)
      .default([]),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone like Europe/Warsaw').nullish(),
    attributes: Attributes.default({}),
    suppressed: z.array(z.enum(CHANNELS)).default([]),
  })
  .strict()
  .meta({ id: 'ContactInput', example: { id: 'c-1001', email: 'ada@example.com', timezone: 'Europe/Warsaw', attributes: { firstName: 'Ada', plan: 'pro' } } });

/** Body of a bulk import. */
export const ImportContactsBody = z.object({ contacts: z.array(ContactInput).min(1).max(10_000) }).strict().meta({ id: 'ImportContacts' });

/** Query of the contact list: `q` keeps contacts whose id, email or phone contains it (case-insensitive). */
export const ListContactsQuery = z.object({ after: NumericCursor.optional(), limit: Limit, q: z.string().min(1).max(200).optional() }).strict();

/** A contact as the API answers it. */
export const ContactView = z.object({
  id: z.string(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  pushTokens: z.array(z.string()),
  webPushSubscriptions: z.array(z.object({ endpoint: z.string(), keys: z.object({ p256dh: z.string(), auth: z.string() }) })),
  timezone: z.string().nullish(),
  attributes: z.record(z.string(), z.unknown()),
  suppressed: z.array(z.enum(CHANNELS)),
  /** GET of one contact: each suppressed channel with its cause (null: imported so, or the unsubscribe link). */
  suppressions: z
    .array(
      z.object({
        channel: z.enum(CHANNELS),
        cause: z.enum(SUPPRESSION_CAUSES).nullable(),
        provider: z.string().nullable(),
        reason: z.string().nullable(),
        at: Timestamp.nullable(),
      }),
    )
    .optional(),
}).meta({ id: 'Contact' });
