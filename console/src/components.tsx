/** Pieces every page uses: status icons, the progress bar, the counts table, confirmation dialogs, formatting. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { DeliveryCounts } from '../../src/domain/types';
import type { CampaignStatus } from '../../src/domain/vocabulary';
import type { ApiError, Eta } from './api';
import { BASE, navigate } from './hooks';

/** A number as people read it: 12,345. */
export const num = (n: number): string => n.toLocaleString('en-US');

/** A time as `2026-11-26 05:12:03` in the browser's time zone (with milliseconds when `ms`). */
export function time(iso: string | null | undefined, ms = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${day} ${clock}${ms ? `.${pad(d.getMilliseconds(), 3)}` : ''}`;
}

/** A duration in seconds as `1 h 5 min`, `3 min 20 s` or `12 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}

const ICON_PATHS: Record<CampaignStatus, ComponentChildren> = {
  Draft: <path d="M5 15l1-4 7-7 3 3-7 7-4 1z" fill="none" stroke="currentColor" stroke-width="1.8" />,
  Scheduled: (
    <>
      <circle cx="10" cy="10" r="7" fill="none" stroke="currentColor" stroke-width="1.8" />
      <path d="M10 6v4.5l3 2" fill="none" stroke="currentColor" stroke-width="1.8" />
    </>
  ),
  Sending: <path d="M6 4l10 6-10 6z" fill="currentColor" />,
  Paused: <PauseBars />,
  Finished: <path d="M4 10.5l4 4 8-9" fill="none" stroke="currentColor" stroke-width="2.2" />,
  Stopped: <rect x="5" y="5" width="10" height="10" rx="1" fill="currentColor" />,
  Cancelled: <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2.2" />,
  Error: (
    <>
      <path d="M10 3l8 14H2z" fill="none" stroke="currentColor" stroke-width="1.8" />
      <path d="M10 8v4M10 14v1.5" stroke="currentColor" stroke-width="1.8" />
    </>
  ),
};

function PauseBars() {
  return (
    <>
      <rect x="5" y="4" width="3.5" height="12" rx="0.5" fill="currentColor" />
      <rect x="11.5" y="4" width="3.5" height="12" rx="0.5" fill="currentColor" />
    </>
  );
}

/** The icon of a campaign status, coloured by status. */
export function StatusIcon({ status }: { status: CampaignStatus }) {
  return (
    <svg class={`icon status-${status}`} viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
      {ICON_PATHS[status]}
    </svg>
  );
}

/** A status as icon and word. */
export function Status({ status, held }: { status: CampaignStatus; held?: boolean }) {
  return (
    <span class={`status status-${status}`} data-status={status}>
      <StatusIcon status={status} /> {status}
      {held ? <span class="held"> (brake)</span> : null}
    </span>
  );
}

/** The pause icon shown beside a paused campaign's send time. */
export function PauseIcon({ title }: { title: string }) {
  return (
    <svg class="icon pause-icon" viewBox="0 0 20 20" width="16" height="16" role="img" aria-label={title}>
      <title>{title}</title>
      <PauseBars />
    </svg>
  );
}

/** Counts as they arrive: the known ones, and any the API adds later (e.g. inDoubt), which are shown too. */
export type Counts = DeliveryCounts & Record<string, number>;

const SEGMENTS = ['sent', 'notSent', 'failed', 'inDoubt', 'pending'] as const;

/** What is still to go. */
export const pendingOf = (c: DeliveryCounts) => c.pending;

/** A share as a percentage rounded down to one decimal: 99.96% reads 99.9%, never 100% before it is all. */
const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.floor((part / whole) * 1000) / 10);

/**
 * A bar of sent / notSent / failed / inDoubt / pending out of planned, with the numbers beside it. The label says
 * what share was sent and what share was handled (sent, notSent or failed): a stopped campaign that sent 9% reads
 * "9% sent · 100% handled", never a bare "100%".
 */
export function ProgressBar({ counts, progress, compact = false }: { counts: DeliveryCounts; progress: number; compact?: boolean }) {
  const all = counts as Counts;
  const pct = Math.floor(progress * 1000) / 10;
  const value = (k: (typeof SEGMENTS)[number]) => (k === 'pending' ? pendingOf(counts) : (all[k] ?? 0));
  const shown = SEGMENTS.filter((k) => k !== 'inDoubt' || value(k) > 0);
  const width = (n: number) => (counts.planned === 0 ? 0 : (n / counts.planned) * 100);
  return (
    <div class={`progress ${compact ? 'compact' : ''}`}>
      <div class="bar" role="progressbar" aria-label="Progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        {shown.map((k) => (
          <span key={k} class={`seg seg-${k}`} style={{ width: `${width(value(k))}%` }} />
        ))}
      </div>
      <div class="legend">
        <span class="pct" data-sent-pct={percent(counts.sent, counts.planned)}>
          {counts.planned === 0 ? 'nothing planned yet' : `${percent(counts.sent, counts.planned)}% sent · ${pct}% handled`}
        </span>
        {shown.map((k) => (
          <span key={k} class={`key key-${k}`} title={k === 'inDoubt' ? 'handed to a provider with no answer: maybe delivered, never resent by a stop' : undefined}>
            <i class={`dot seg-${k}`} /> {k} {num(value(k))}
          </span>
        ))}
      </div>
    </div>
  );
}

/** The ETA line: the API's estimate when it gives one, a dash otherwise (nothing is guessed here). */
export function EtaLine({ eta }: { eta: Eta | null | undefined }) {
  if (!eta) return <span class="eta">ETA —</span>;
  return (
    <span class="eta">
      ETA {time(eta.at)} (about {duration(eta.secondsLeft)} left at {num(Math.round(eta.messagesPerSecond))} messages/s)
    </span>
  );
}

const COLUMNS = ['planned', 'sent', 'notSent', 'failed', 'inDoubt', 'pending'] as const;

/**
 * Counts per row (channel or total) as a table; `label` names the table for screen readers and tests. Counts the
 * API adds beyond the known columns (e.g. inDoubt) get their own columns, so nothing it says is hidden.
 */
export function CountsTable({ label, rows }: { label: string; rows: [string, DeliveryCounts][] }) {
  const extra = [...new Set(rows.flatMap(([, c]) => Object.keys(c)))].filter(
    (k) => !(COLUMNS as readonly string[]).includes(k) && rows.some(([, c]) => typeof (c as Counts)[k] === 'number'),
  );
  const columns = [...COLUMNS, ...extra];
  return (
    <table class="counts" aria-label={label}>
      <thead>
        <tr>
          <th />
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, counts]) => (
          <tr key={name} data-row={name}>
            <th scope="row">{name}</th>
            {columns.map((c) => (
              <td key={c} data-count={c}>
                {num((counts as Counts)[c] ?? 0)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** An error from the API, in words, with the API's own message in small print. */
export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {error.message}
      {error.detail && error.code !== 'network' ? <div class="detail">Herald said: {error.detail}</div> : null}
    </div>
  );
}

/** A link inside the console that does not reload the page. */
export function Link({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={`${BASE}${to}`}
      class={cls}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** A modal dialog with a title, content and the buttons given. */
export function Dialog({ title, children, onClose }: { title: string; children: ComponentChildren; onClose: () => void }) {
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/**
 * The typed-id confirmation: the operator types the campaign id, and only the API decides whether it matches;
 * a mismatch is shown in words and changes nothing.
 */
export function TypedConfirm(props: {
  title: string;
  id: string;
  warning: ComponentChildren;
  action: string;
  busyLabel: string;
  onConfirm: (typed: string) => Promise<void>;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm(typed.trim());
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={() => !busy && props.onClose()}>
      <form onSubmit={(e) => void submit(e)}>
        <p class="warning">{props.warning}</p>
        <label>
          <span>
            Type the campaign id <code class="typed-id">{props.id}</code> to confirm
          </span>
          <input
            name="confirmation"
            autoComplete="off"
            spellcheck={false}
            value={typed}
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
            disabled={busy}
            autoFocus
          />
        </label>
        <ErrorNote error={error} />
        <div class="buttons">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Close
          </button>
          <button type="submit" class="danger" disabled={busy || typed.trim() === ''}>
            {busy ? props.busyLabel : props.action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A plain yes/no confirmation for actions that do not need the typed id. */
export function Confirm(props: { title: string; text: ComponentChildren; action: string; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.text}</p>
      <div class="buttons">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

/** The first cells of a campaign's row in a list: its status, and its name linking to its page, with its id. */
export function CampaignCells({ campaign: c }: { campaign: { id: string; name: string; status: CampaignStatus; heldByBrake: boolean } }) {
  return (
    <>
      <td>
        <Status status={c.status} held={c.heldByBrake} />
      </td>
      <td>
        <Link to={`/campaigns/${c.id}`}>{c.name}</Link>
        <div class="id">{c.id}</div>
      </td>
    </>
  );
}

/** Previous / next page buttons of a list read by cursor. */
export function Pager({ cursor, next, label }: { cursor: { page: number; next: (c: string) => void; prev: () => void }; next: string | null | undefined; label: string }) {
  if (cursor.page === 1 && !next) return null;
  return (
    <nav class="pager" aria-label={`${label} pages`}>
      <button type="button" disabled={cursor.page === 1} onClick={cursor.prev}>
        ← Previous
      </button>
      <span>Page {cursor.page}</span>
      <button type="button" disabled={!next} onClick={() => next && cursor.next(next)}>
        Next →
      </button>
    </nav>
  );
}
