/** The console shell: sign-in with an API key, the header with the brake switch, and the pages by URL. */
import { useEffect, useState } from 'preact/hooks';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../src/domain/vocabulary';
import { ApiError, brake, session, whenUnauthorized } from './api';
import { BrakeSwitch } from './brake';
import { CampaignPage } from './campaign';
import { CampaignList } from './campaigns';
import { ErrorNote, Link } from './components';
import { useRoute } from './hooks';
import { AudiencesPage } from './audiences';
import { ContactsPage } from './contacts';
import { CampaignEditor } from './editor';
import { PlannedPage } from './planned';
import { AuditPage, KeysPage, ProvidersPage } from './settings';

/** The whole console. */
export function App() {
  const [key, setKey] = useState(session.key());
  const [signedOut, setSignedOut] = useState<string | undefined>(undefined);
  useEffect(() => {
    whenUnauthorized(() => {
      session.signOut();
      setKey(null);
      setSignedOut('Herald no longer accepts this API key. Sign in again.');
    });
  }, []);
  if (!key) {
    return (
      <SignIn
        note={signedOut}
        onSignedIn={(k) => {
          session.signIn(k);
          setSignedOut(undefined);
          setKey(k);
        }}
      />
    );
  }
  return (
    <>
      <header>
        <div class="brand">Herald console</div>
        <nav>
          <Link to="/">Campaigns</Link>
          <Link to="/planned">Planned sends</Link>
          <Link to="/audiences">Audiences</Link>
          <Link to="/contacts">Contacts</Link>
          <Link to="/providers">Providers</Link>
          <Link to="/keys">API keys</Link>
          <Link to="/audit">Audit log</Link>
          <a href="/docs" target="_blank" rel="noreferrer">
            API reference ↗
          </a>
        </nav>
        <button
          type="button"
          class="link"
          onClick={() => {
            session.signOut();
            setKey(null);
          }}
        >
          Sign out
        </button>
      </header>
      <BrakeSwitch />
      <main>
        <Page />
      </main>
    </>
  );
}

function Page() {
  const { path, search } = useRoute();
  const query = new URLSearchParams(search);
  if (path === '/campaigns/new') return <CampaignEditor />;
  const edit = /^\/campaigns\/([^/]+)\/edit$/.exec(path);
  if (edit) return <CampaignEditor id={decodeURIComponent(edit[1]!)} />;
  const campaign = /^\/campaigns\/([^/]+)$/.exec(path);
  if (campaign) return <CampaignPage id={decodeURIComponent(campaign[1]!)} />;
  if (path === '/audiences') return <AudiencesPage />;
  if (path === '/contacts') return <ContactsPage />;
  if (path === '/providers') return <ProvidersPage />;
  if (path === '/keys') return <KeysPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/planned') return <PlannedPage showPlanned={query.get('scheduled') === 'true'} />;
  if (path === '/') {
    const status = query.get('status');
    const known = CAMPAIGN_STATUSES.find((s) => s === status) as CampaignStatus | undefined;
    return <CampaignList status={known} />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no console page at {path}. <Link to="/">Go to the campaigns.</Link>
      </p>
    </section>
  );
}

/** The sign-in form: the key is checked against the API before it is kept for this tab. */
function SignIn({ onSignedIn, note }: { onSignedIn: (key: string) => void; note: string | undefined }) {
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  return (
    <main class="signin">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const key = value.trim();
          setBusy(true);
          setError(undefined);
          brake.get(key).then(
            () => onSignedIn(key),
            (err: ApiError) => {
              setError(err);
              setBusy(false);
            },
          );
        }}
      >
        <h1>Herald console</h1>
        <p>
          Sign in with an API key of your account: <code>npm start</code> prints the development key, and{' '}
          <code>npm run account -- create</code> makes one.
        </p>
        {note ? <p class="notice">{note}</p> : null}
        <label>
          API key
          <input type="password" name="apiKey" autoComplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || value.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">The key is kept in this browser tab only (session storage) and sent as a Bearer token.</p>
      </form>
    </main>
  );
}
