/** CSV for contact imports: RFC 4180 parsing, and rows turned into contacts (known columns, the rest attributes). */
import { CHANNELS } from '../../src/domain/vocabulary';
import type { ContactInput } from './api';

/** The rows of a CSV text: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/** Columns that are contact fields; every other column is an attribute. */
const FIELDS = new Set(['id', 'email', 'phone', 'timezone', 'suppressed']);

/** A number or true/false as itself, else the text. */
const typed = (v: string): unknown => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v);

/**
 * The contacts of a CSV with a header row (`id` required; `email`, `phone`, `timezone`, `suppressed` as channels
 * separated by `;`; other columns become attributes), each with its line number in the file for error messages.
 */
export function contactsFromCsv(text: string): { header: string[]; rows: { line: number; contact: ContactInput }[] } {
  const [header = [], ...rest] = parseCsv(text);
  const names = header.map((h) => h.trim());
  if (!names.includes('id')) throw new Error('the first line must name the columns, one of them "id"');
  return {
    header: names,
    rows: rest.map((cells, i) => {
      const contact: ContactInput = { id: '', attributes: {} };
      names.forEach((name, k) => {
        const value = (cells[k] ?? '').trim();
        if (value === '') return;
        if (name === 'suppressed') {
          contact.suppressed = value.split(';').map((c) => c.trim()) as typeof CHANNELS[number][];
        } else if (FIELDS.has(name)) {
          (contact as Record<string, unknown>)[name] = value;
        } else {
          contact.attributes![name] = typed(value);
        }
      });
      return { line: i + 2, contact };
    }),
  };
}
