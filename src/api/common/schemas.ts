/** Schemas shared by several API features. */
import { z } from 'zod';

/** `:id` path parameter. */
export const IdParams = z.object({ id: z.string().min(1).max(100) });

/** Page size: 1..1000, default 100. */
export const Limit = z.coerce.number().int().min(1).max(1000).default(100);

/** A numeric cursor returned by a previous page. */
export const NumericCursor = z.string().regex(/^\d{1,15}$/, 'must be the `next` value of a previous page');

/** A boolean query parameter: `true` or `false`. */
export const BooleanQuery = z.enum(['true', 'false'], "must be 'true' or 'false'").transform((v) => v === 'true');

/** A timestamp as the API writes it (ISO 8601, UTC). */
export const Timestamp = z.iso.datetime();

/** A page of `item`s and the cursor of the next page (null at the end). */
export const PageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });
