/** Audiences: the list, and a new one from contact ids or a filter builder (all conditions, and any-of groups). */
import { useState } from 'preact/hooks';
import { ApiError, audiences, type AudienceInput, type AudienceView } from './api';
import { ErrorNote, num, time } from './components';
import { usePoll } from './hooks';

const OPS = ['eq', 'neq', 'in', 'exists', 'gt', 'gte', 'lt', 'lte'] as const;
/** A condition's operator in words. */
const OP_WORDS: Record<(typeof OPS)[number], string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is one of',
  exists: 'is set',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
};

interface Row {
  attribute: string;
  op: (typeof OPS)[number];
  value: string;
}
type Condition = { attribute: string; op: Row['op']; value?: unknown };

const emptyRow = (): Row => ({ attribute: '', op: 'eq', value: '' });

/** A typed value: numbers and true/false as themselves, anything else as text; `in` takes a comma-separated list. */
function valueOf(row: Row): unknown {
  const one = (v: string) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v);
  if (row.op === 'exists') return undefined;
  if (row.op === 'in') return row.value.split(',').map((v) => one(v.trim())).filter((v) => v !== '');
  return one(row.value.trim());
}

const conditionOf = (row: Row): Condition => {
  const value = valueOf(row);
  return { attribute: row.attribute.trim(), op: row.op, ...(value === undefined ? {} : { value }) };
};

/** A stored filter term in words: `plan is "pro"`, `(country is "PL" or country is "DE")`. */
function termWords(term: AudienceView['conditions'][number]): string {
  const cond = (c: { attribute: string; op: string; value?: unknown }) =>
    `${c.attribute} ${OP_WORDS[c.op as Row['op']] ?? c.op}${c.op === 'exists' ? '' : ` ${JSON.stringify(c.value)}`}`;
  return 'any' in term ? `(${term.any.map(cond).join(' or ')})` : cond(term);
}

/** The audiences page. */
export function AudiencesPage() {
  const { data, error, refresh } = usePoll(() => audiences.list(), [], 5000);
  const [created, setCreated] = useState<(AudienceView & { size?: number }) | undefined>(undefined);
  return (
    <section>
      <h1>Audiences</h1>
      <ErrorNote error={error} />
      {created ? (
        <p class="notice" role="status">
          Created {created.name}: {num(created.size ?? 0)} contact(s) in it now.
        </p>
      ) : null}
      <NewAudience
        onCreated={(a) => {
          setCreated(a);
          void refresh();
        }}
      />
      {data && data.items.length === 0 ? <p class="empty">No audiences yet.</p> : null}
      {data && data.items.length > 0 ? (
        <table class="list audiences">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th class="wide">Who</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr key={a.id} data-audience={a.id}>
                <td>
                  {a.name}
                  <div class="id">{a.id}</div>
                </td>
                <td>{a.type}</td>
                <td class="wide">{a.type === 'list' ? 'a fixed list of contacts' : a.conditions.map(termWords).join(' and ') || 'every contact'}</td>
                <td>{time(a.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function ConditionRow({ row, onChange, onRemove, label }: { row: Row; onChange: (r: Row) => void; onRemove: () => void; label: string }) {
  return (
    <div class="condition" role="group" aria-label={label}>
      <input aria-label="Attribute" placeholder="attribute" value={row.attribute} onInput={(e) => onChange({ ...row, attribute: (e.target as HTMLInputElement).value })} required />
      <select aria-label="Operator" value={row.op} onChange={(e) => onChange({ ...row, op: (e.target as HTMLSelectElement).value as Row['op'] })}>
        {OPS.map((op) => (
          <option key={op} value={op}>
            {OP_WORDS[op]}
          </option>
        ))}
      </select>
      {row.op === 'exists' ? null : (
        <input aria-label="Value" placeholder={row.op === 'in' ? 'a, b, c' : 'value'} value={row.value} onInput={(e) => onChange({ ...row, value: (e.target as HTMLInputElement).value })} />
      )}
      <button type="button" class="small" aria-label={`Remove ${label}`} onClick={onRemove}>
        ✕
      </button>
    </div>
  );
}

function NewAudience({ onCreated }: { onCreated: (a: AudienceView & { size?: number }) => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<'filter' | 'list'>('filter');
  const [ids, setIds] = useState('');
  const [all, setAll] = useState<Row[]>([emptyRow()]);
  const [groups, setGroups] = useState<Row[][]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: AudienceInput =
      type === 'list'
        ? { name, type, contactIds: ids.split(/[\s,]+/).filter((s) => s !== '') }
        : { name, type, all: [...all.map(conditionOf), ...groups.filter((g) => g.length > 0).map((g) => ({ any: g.map(conditionOf) }))] };
    try {
      onCreated(await audiences.create(body));
      setName('');
      setIds('');
      setAll([emptyRow()]);
      setGroups([]);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel new-audience" aria-label="New audience" onSubmit={(e) => void submit(e)}>
      <h2>New audience</h2>
      <div class="inline">
        <label class="field grow">
          Name
          <input name="audienceName" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
        </label>
        <label class="check">
          <input type="radio" name="audienceType" checked={type === 'filter'} onChange={() => setType('filter')} /> Filter
        </label>
        <label class="check">
          <input type="radio" name="audienceType" checked={type === 'list'} onChange={() => setType('list')} /> Static list
        </label>
      </div>
      {type === 'list' ? (
        <label class="field">
          Contact ids (separated by commas, spaces or lines)
          <textarea name="contactIds" rows={4} value={ids} onInput={(e) => setIds((e.target as HTMLTextAreaElement).value)} required />
        </label>
      ) : (
        <>
          <p class="hint">Contacts match when every condition below holds, and at least one condition of each “any of” group.</p>
          <div class="group" aria-label="All of these">
            <strong>All of these</strong>
            {all.map((row, i) => (
              <ConditionRow
                key={i}
                label={`All condition ${i + 1}`}
                row={row}
                onChange={(r) => setAll(all.map((x, j) => (j === i ? r : x)))}
                onRemove={() => setAll(all.filter((_, j) => j !== i))}
              />
            ))}
            <button type="button" class="small" onClick={() => setAll([...all, emptyRow()])}>
              + Condition
            </button>
          </div>
          {groups.map((group, g) => (
            <div key={g} class="group any" role="group" aria-label={`Any of group ${g + 1}`}>
              <strong>and any of these</strong>
              {group.map((row, i) => (
                <ConditionRow
                  key={i}
                  label={`Group ${g + 1} condition ${i + 1}`}
                  row={row}
                  onChange={(r) => setGroups(groups.map((x, k) => (k === g ? x.map((y, j) => (j === i ? r : y)) : x)))}
                  onRemove={() => setGroups(groups.map((x, k) => (k === g ? x.filter((_, j) => j !== i) : x)))}
                />
              ))}
              <button type="button" class="small" onClick={() => setGroups(groups.map((x, k) => (k === g ? [...x, emptyRow()] : x)))}>
                + Or condition
              </button>
            </div>
          ))}
          <button type="button" class="small" onClick={() => setGroups([...groups, [emptyRow(), emptyRow()]])}>
            + Any-of group
          </button>
        </>
      )}
      <ErrorNote error={error} />
      <div class="buttons start">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create audience'}
        </button>
      </div>
    </form>
  );
}
