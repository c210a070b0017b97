/** Contacts: search and page through them, switch a channel's suppression, and import a CSV with progress and per-row errors. */
import { useState } from 'preact/hooks';
import { CHANNELS, type Channel } from '../../src/domain/vocabulary';
import { ApiError, contacts, type ContactInput, type ContactView } from './api';
import { contactsFromCsv } from './csv';
import { ErrorNote, Pager, num } from './components';
import { useCursor, useDebounced, usePoll } from './hooks';

/** Rows sent per import request: well under the API's 10,000, so progress moves and one bad row costs little. */
const CHUNK = 500;

/** The contacts page. */
export function ContactsPage() {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim(), 300);
  const cursor = useCursor([search]);
  const { data, error, refresh } = usePoll(() => contacts.list(search, cursor.after), [search, cursor.after], 5000);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);

  /** Suppression is a field of the contact: the contact is imported again with it changed (import replaces by id). */
  const toggle = async (contact: ContactView, channel: Channel) => {
    setActionError(undefined);
    const suppressed = contact.suppressed.includes(channel) ? contact.suppressed.filter((c) => c !== channel) : [...contact.suppressed, channel];
    const { id, email, phone, pushTokens, webPushSubscriptions, timezone, attributes } = contact;
    const input: ContactInput = { id, email, phone, pushTokens, webPushSubscriptions, timezone, attributes, suppressed };
    try {
      await contacts.import([input]);
      await refresh();
    } catch (err) {
      setActionError(err as ApiError);
    }
  };

  return (
    <section>
      <h1>Contacts</h1>
      <CsvImport onDone={() => void refresh()} />
      <div class="title-row start">
        <label class="field grow">
          Search
          <input type="search" name="q" placeholder="a part of an id, email or phone" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <ErrorNote error={actionError ?? error} />
      {data && data.items.length === 0 ? <p class="empty">{search ? `No contact matches “${search}”.` : 'No contacts yet: import a CSV above.'}</p> : null}
      {data && data.items.length > 0 ? (
        <table class="list contacts">
          <thead>
            <tr>
              <th>Id</th>
              <th>Email</th>
              <th>Phone</th>
              <th>Time zone</th>
              <th>Attributes</th>
              <th>Suppressed</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((c) => (
              <tr key={c.id} data-contact={c.id}>
                <td>{c.id}</td>
                <td>{c.email ?? '—'}</td>
                <td>{c.phone ?? '—'}</td>
                <td>{c.timezone ?? '—'}</td>
                <td class="attrs">
                  <code>{JSON.stringify(c.attributes)}</code>
                </td>
                <td class="suppressions">
                  {CHANNELS.map((ch) => (
                    <label key={ch} class="check small">
                      <input type="checkbox" aria-label={`${c.id} suppressed on ${ch}`} checked={c.suppressed.includes(ch)} onChange={() => void toggle(c, ch)} />
                      {ch}
                    </label>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager cursor={cursor} next={data?.next} label="Contacts" />
    </section>
  );
}

/** One refused row of an import: its line in the file, the field and why. */
interface RowError {
  line: number;
  id: string;
  field: string;
  message: string;
}

/**
 * CSV import in chunks, with progress. A chunk the API refuses (400) names its bad rows: they are set aside with
 * their errors and the rest of the chunk is sent again, so good rows are imported and bad ones listed.
 */
function CsvImport({ onDone }: { onDone: () => void }) {
  const [text, setText] = useState('');
  const [progress, setProgress] = useState<{ done: number; total: number; imported: number } | undefined>(undefined);
  const [rowErrors, setRowErrors] = useState<RowError[]>([]);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    setBusy(true);
    setError(undefined);
    setRowErrors([]);
    try {
      const { rows } = contactsFromCsv(text);
      const errors: RowError[] = [];
      let imported = 0;
      setProgress({ done: 0, total: rows.length, imported: 0 });
      for (let start = 0; start < rows.length; start += CHUNK) {
        let chunk = rows.slice(start, start + CHUNK);
        for (let attempt = 0; attempt < 2 && chunk.length > 0; attempt++) {
          try {
            imported += (await contacts.import(chunk.map((r) => r.contact))).imported;
            chunk = [];
          } catch (err) {
            const refused = err instanceof ApiError && err.status === 400 ? err.issues : [];
            const bad = new Set<number>();
            for (const issue of refused) {
              const m = /^contacts\.(\d+)\.?(.*)$/.exec(issue.path);
              if (!m) continue;
              const row = chunk[Number(m[1])];
              if (!row) continue;
              bad.add(Number(m[1]));
              errors.push({ line: row.line, id: row.contact.id, field: m[2] || '(row)', message: issue.message });
            }
            if (bad.size === 0) throw err;
            chunk = chunk.filter((_, i) => !bad.has(i));
          }
        }
        setProgress({ done: Math.min(start + CHUNK, rows.length), total: rows.length, imported });
      }
      setRowErrors(errors.sort((a, b) => a.line - b.line));
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  const pct = progress && progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 0;
  return (
    <section class="panel csv-import" aria-label="Import contacts">
      <h2>Import contacts from CSV</h2>
      <p class="hint">
        First line: column names. <code>id</code> is required; <code>email</code>, <code>phone</code> (E.164), <code>timezone</code> and <code>suppressed</code>{' '}
        (channels separated by <code>;</code>) are contact fields; every other column becomes an attribute. A contact with an id already known is replaced.
      </p>
      <div class="inline">
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="CSV file"
          onChange={(e) => {
            const file = (e.target as HTMLInputElement).files?.[0];
            if (file) void file.text().then(setText);
          }}
        />
      </div>
      <label class="field">
        or paste it
        <textarea name="csv" rows={4} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} placeholder={'id,email,first_name\nc-1,ada@example.com,Ada'} />
      </label>
      <button type="button" class="primary" disabled={busy || text.trim() === ''} onClick={() => void run()}>
        {busy ? 'Importing…' : 'Import'}
      </button>
      {progress ? (
        <div class="import-progress">
          <div class="bar" role="progressbar" aria-label="Import progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
            <span class="seg seg-sent" style={{ width: `${pct}%` }} />
          </div>
          <p role="status">
            {busy ? 'Importing' : 'Done'}: {num(progress.done)} of {num(progress.total)} rows read, {num(progress.imported)} imported
            {rowErrors.length > 0 ? `, ${num(rowErrors.length)} refused` : ''}.
          </p>
        </div>
      ) : null}
      <ErrorNote error={error instanceof ApiError ? error : error ? new ApiError(0, 'csv', error.message, `The CSV could not be read: ${error.message}`) : undefined} />
      {rowErrors.length > 0 ? (
        <table class="list row-errors" aria-label="Refused rows">
          <thead>
            <tr>
              <th>Line</th>
              <th>Id</th>
              <th>Field</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {rowErrors.map((r) => (
              <tr key={`${r.line}-${r.field}`} data-line={r.line}>
                <td>{r.line}</td>
                <td>{r.id}</td>
                <td>{r.field}</td>
                <td>{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
