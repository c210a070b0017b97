/** Account settings: the provider of each channel with a test send, API keys (shown once, revoke), the audit log. */
import { useState } from 'preact/hooks';
import { CHANNELS, SCOPES, type Channel, type Scope } from '../../src/domain/vocabulary';
import { ApiError, audit, keys, providers, session, type ProviderView } from './api';
import { ErrorNote, Pager, time } from './components';
import { useCursor, usePoll } from './hooks';

/** The provider kinds that can send each channel, and a starting config for each (see src/providers/settings.ts). */
const KINDS: Record<Channel, string[]> = {
  email: ['smtp', 'webhook', 'sandbox'],
  sms: ['twilio', 'webhook', 'sandbox'],
  push: ['fcm', 'webhook', 'sandbox'],
  webpush: ['webpush', 'webhook', 'sandbox'],
};
const CONFIG_EXAMPLE: Record<string, { config: object; secrets: object }> = {
  smtp: { config: { host: 'smtp.example.com', port: 587, from: 'news@example.com' }, secrets: { user: 'news', pass: '' } },
  twilio: { config: { accountSid: 'AC…', from: '+14155550100' }, secrets: { authToken: '' } },
  fcm: { config: { projectId: 'my-project' }, secrets: { serviceAccount: {} } },
  webpush: { config: { subject: 'mailto:ops@example.com', publicKey: '' }, secrets: { privateKey: '' } },
  webhook: { config: { url: 'https://hooks.example.com/herald' }, secrets: {} },
  sandbox: { config: {}, secrets: {} },
};

/** The providers page: one panel per channel. */
export function ProvidersPage() {
  const { data, error, refresh } = usePoll(() => providers.list(), [], 10_000);
  return (
    <section>
      <h1>Providers</h1>
      <p class="hint">Each channel sends through the provider saved here (the sandbox, which only records messages, when none is). Secrets are write-only.</p>
      <ErrorNote error={error} />
      {data
        ? CHANNELS.map((c) => <ProviderPanel key={c} channel={c} saved={data.find((p) => p.channel === c)} onSaved={() => void refresh()} />)
        : null}
    </section>
  );
}

function ProviderPanel({ channel, saved, onSaved }: { channel: Channel; saved: ProviderView | undefined; onSaved: () => void }) {
  const initialKind = saved?.kind ?? 'sandbox';
  const [kind, setKind] = useState(initialKind);
  const [config, setConfig] = useState(JSON.stringify(saved?.config ?? CONFIG_EXAMPLE[initialKind]!.config, null, 2));
  const [secrets, setSecrets] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const act = async (label: string, action: () => Promise<string>) => {
    setBusy(label);
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await action());
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'json', String(err), `Not valid JSON: ${(err as Error).message}`));
    } finally {
      setBusy(undefined);
    }
  };
  const save = () =>
    act('Saving…', async () => {
      const body = { kind: kind as never, config: JSON.parse(config || '{}') as Record<string, unknown>, ...(secrets.trim() ? { secrets: JSON.parse(secrets) as Record<string, unknown> } : {}) };
      await providers.put(channel, body);
      setSecrets('');
      onSaved();
      return `Saved: ${channel} sends through ${kind}.`;
    });
  const test = () =>
    act('Sending…', async () => {
      const outcome = await providers.test(channel, { to, body: 'A test message from Herald.', ...(channel === 'sms' ? {} : { subject: 'Herald test' }) });
      return outcome.status === 'accepted'
        ? 'The provider accepted the test message.'
        : `The provider refused it (${outcome.status}): ${outcome.error ?? 'no reason given'}.`;
    });

  return (
    <section class="panel provider" aria-label={`${channel} provider`} data-channel={channel}>
      <h2>
        {channel} <span class="hint">{saved ? `${saved.kind}, saved ${time(saved.updatedAt)}${saved.secretsSet.length ? `; secrets set: ${saved.secretsSet.join(', ')}` : ''}` : 'sandbox (default)'}</span>
      </h2>
      <div class="inline">
        <label class="field">
          Provider
          <select
            aria-label={`${channel} provider kind`}
            value={kind}
            onChange={(e) => {
              const k = (e.target as HTMLSelectElement).value;
              setKind(k);
              setConfig(JSON.stringify(CONFIG_EXAMPLE[k]!.config, null, 2));
              setSecrets(JSON.stringify(CONFIG_EXAMPLE[k]!.secrets));
            }}
          >
            {KINDS[channel].map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="inline wide-fields">
        <label class="field grow">
          Config (JSON)
          <textarea aria-label={`${channel} config`} rows={4} value={config} onInput={(e) => setConfig((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label class="field grow">
          Secrets (JSON, write-only: empty keeps the saved ones)
          <textarea aria-label={`${channel} secrets`} rows={4} value={secrets} onInput={(e) => setSecrets((e.target as HTMLTextAreaElement).value)} />
        </label>
      </div>
      <div class="inline">
        <button type="button" class="primary" disabled={!!busy} onClick={() => void save()}>
          {busy === 'Saving…' ? busy : 'Save'}
        </button>
        <input aria-label={`${channel} test recipient`} placeholder={channel === 'email' ? 'you@example.com' : channel === 'sms' ? '+14155550100' : 'token or subscription'} value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        <button type="button" disabled={!!busy || to.trim() === ''} onClick={() => void test()}>
          {busy === 'Sending…' ? busy : 'Send a test'}
        </button>
      </div>
      <ErrorNote error={error} />
      {notice ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
    </section>
  );
}

/** The API keys page: create (the key is shown once), list, revoke. */
export function KeysPage() {
  const { data, error, refresh } = usePoll(() => keys.list(), [], 10_000);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('control');
  const [created, setCreated] = useState<{ name: string; key: string } | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const run = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      await refresh();
    } catch (err) {
      setActionError(err as ApiError);
    }
  };
  return (
    <section>
      <h1>API keys</h1>
      <form
        class="panel inline"
        aria-label="New API key"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const k = await keys.create(name.trim(), scope);
            setCreated({ name: k.name, key: k.key });
            setName('');
          });
        }}
      >
        <label class="field grow">
          Name
          <input name="keyName" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. Ops console" required />
        </label>
        <label class="field">
          Scope
          <select name="scope" value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as Scope)}>
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created ? (
        <div class="notice once" role="status">
          <strong>{created.name}</strong>: copy this key now, it is shown only once (Herald keeps only its hash).
          <pre class="secret" aria-label="New key">
            {created.key}
          </pre>
          <button type="button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      ) : null}
      <ErrorNote error={actionError ?? error} />
      {data ? (
        <table class="list keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope</th>
              <th>Created</th>
              <th>Revoked</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((k) => (
              <tr key={k.id} data-key={k.id} class={k.revokedAt ? 'revoked' : ''}>
                <td>
                  {k.name}
                  <div class="id">{k.id}</div>
                </td>
                <td>{k.scope}</td>
                <td>{time(k.createdAt)}</td>
                <td>{k.revokedAt ? time(k.revokedAt) : '—'}</td>
                <td>
                  {k.revokedAt ? null : (
                    <button type="button" class="small" aria-label={`Revoke ${k.name}`} onClick={() => void run(() => keys.revoke(k.id))}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p class="hint">This tab is signed in with {session.key() ? 'a key of this account' : 'no key'}; a key cannot revoke itself.</p>
    </section>
  );
}

/** The audit log: who did what, when, with what result; oldest first, by page. */
export function AuditPage() {
  const cursor = useCursor([]);
  const { data, error } = usePoll(() => audit.list(cursor.after), [cursor.after], 5000);
  return (
    <section>
      <h1>Audit log</h1>
      <ErrorNote error={error} />
      {data ? (
        <table class="list audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>On</th>
              <th>Result</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((e) => (
              <tr key={e.id} data-audit={e.id} data-action={e.action}>
                <td>{time(e.at)}</td>
                <td title={e.actor}>{e.actorName ?? e.actor}</td>
                <td>{e.action}</td>
                <td class="id">{e.target ?? '—'}</td>
                <td class={`result-${e.result}`}>{e.result}</td>
                <td class="attrs">{e.detail ? <code>{JSON.stringify(e.detail)}</code> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager cursor={cursor} next={data?.next} label="Audit log" />
    </section>
  );
}
