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

const pages = new WeakMap<z.ZodType, z.ZodType>();

/**
 * A page of `item`s and the cursor of the next page (null at the end). A named item (`.meta({ id })`) makes a
 * named page (`<id>Page`), one schema per item however many routes answer it.
 */
export const PageOf = <T extends z.ZodType>(item: T) => {
  const known = pages.get(item) as z.ZodObject<{ items: z.ZodArray<T>; next: z.ZodNullable<z.ZodString> }> | undefined;
  if (known) return known;
  const id = z.globalRegistry.get(item)?.id;
  const page = z.object({ items: z.array(item), next: z.string().nullable() });
  const named = id ? page.meta({ id: `${id}Page` }) : page;
  pages.set(item, named);
  return named;
};
