/** What every aggregate of the SQL store shares: reading one row, pages of rows, and the opaque cursors of pages. */
import { InvalidInputError } from '../domain/errors';
import type { Page } from './store';

/** The one row a statement must return (an INSERT or UPDATE ... RETURNING, a read of a row that exists). */
export function one<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row, got none');
  return row;
}

/** A page of `limit` rows as domain items; the next page starts after the last row (none when the page is short). */
export function page<R, T>(rows: R[], limit: number, map: (r: R) => T, cursorOf: (r: R) => string): Page<T> {
  const last = rows[rows.length - 1];
  return { items: rows.map(map), next: rows.length === limit && last ? cursorOf(last) : null };
}

/** An opaque cursor of several parts (e.g. a timestamp and an id). */
export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** What each part of a cursor is: a timestamp PostgreSQL can compare (years 1970-9999), or an id. */
export type CursorPart = 'timestamp' | 'id';

const CURSOR_PART: Record<CursorPart, (s: string) => boolean> = {
  timestamp: (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(s) && Number.isFinite(Date.parse(s)) && s >= '1970',
  id: (s) => s.length >= 1 && s.length <= 200,
};

/** The parts of a cursor `encodeCursor` made, checked against `shape`; anything else is the caller's invalid input. */
export function decodeCursor(cursor: string, shape: CursorPart[]): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => typeof p === 'string' && CURSOR_PART[shape[i]!](p))) {
      return parts as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw InvalidInputError.field('after', 'not a cursor this API returned');
}
