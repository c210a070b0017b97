/** The account's emergency brake: one big switch on every page, with its state and since when. */
import { useState } from 'preact/hooks';
import { ApiError, brake, type BrakeResult } from './api';
import { ErrorNote, num, time } from './components';
import { usePoll } from './hooks';

/** The brake switch. On holds everything the account sends; off lets what it held go on. */
export function BrakeSwitch() {
  const { data, error, refresh } = usePoll(() => brake.get(), [], 2000);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<BrakeResult | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const on = data?.on ?? false;

  const flip = async () => {
    setBusy(true);
    setActionError(undefined);
    try {
      setResult(await brake.set(!on));
      await refresh();
    } catch (err) {
      setActionError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class={`brake ${on ? 'on' : 'off'}`} aria-label="Emergency brake">
      <button
        type="button"
        role="switch"
        aria-checked={on}
        aria-label="Emergency brake"
        class="brake-switch"
        disabled={busy || !data}
        onClick={() => void flip()}
      >
        <span class="knob" />
      </button>
      <div class="brake-text">
        <strong>Emergency brake {busy ? (on ? 'releasing…' : 'pulling…') : on ? 'ON' : 'OFF'}</strong>
        <span class="brake-state">
          {!data
            ? 'reading…'
            : on
              ? `since ${time(data.since)}${data.by ? ` (by ${data.byName ?? data.by})` : ''}: nothing of this account is sent; scheduled campaigns wait.`
              : `campaigns send normally${data.since ? ` (released ${time(data.since)})` : ''}. Switch on to hold everything this account sends, at once.`}
        </span>
        {result && !busy ? (
          <span class="brake-result">
            {result.on ? 'Held' : 'Released'} {num(result.campaigns.length)} campaign(s) in {num(result.ms)} ms
            {result.errors.length > 0
              ? `; ${result.errors.length} did not answer in time (${result.on ? 'each holds itself at its next batch' : 'switch off again to reach them'})`
              : ''}
            .
          </span>
        ) : null}
        <ErrorNote error={actionError ?? error} />
      </div>
    </section>
  );
}
