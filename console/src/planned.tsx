/** Planned sends: what is sending or paused, "show planned also" for scheduled ones, and delete with the typed id. */
import { useState } from 'preact/hooks';
import { campaigns, type PlannedView } from './api';
import { CampaignCells, ErrorNote, ProgressBar, TypedConfirm, num, pendingOf, time } from './components';
import { navigate, usePoll } from './hooks';

/** The planned sends page; `showPlanned` (from `?scheduled=true`) adds campaigns scheduled for later. */
export function PlannedPage({ showPlanned }: { showPlanned: boolean }) {
  const { data, error, refresh } = usePoll(() => campaigns.planned(showPlanned), [showPlanned]);
  const [deleting, setDeleting] = useState<PlannedView | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  return (
    <section>
      <div class="title-row">
        <h1>Planned sends</h1>
        <label class="filter">
          <input
            type="checkbox"
            checked={showPlanned}
            onChange={(e) => navigate((e.target as HTMLInputElement).checked ? '/planned?scheduled=true' : '/planned')}
          />{' '}
          show planned also
        </label>
      </div>
      <p class="hint">Campaigns sending or paused{showPlanned ? ', and those scheduled for later' : ''}, soonest first.</p>
      <ErrorNote error={error} />
      {notice ? <p class="notice">{notice}</p> : null}
      {data && data.items.length === 0 ? <p class="empty">Nothing planned.</p> : null}
      {data && data.items.length > 0 ? (
        <table class="list planned">
          <thead>
            <tr>
              <th>Status</th>
              <th>Name</th>
              <th>Next planned</th>
              <th class="num">Planned</th>
              <th class="num">Still to send</th>
              <th class="wide">Progress</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((c) => (
              <tr key={c.id} data-campaign={c.id}>
                <CampaignCells campaign={c} />
                <td>{time(c.nextPlannedAt)}</td>
                <td class="num">{num(c.counts.planned)}</td>
                <td class="num">{num(pendingOf(c.counts))}</td>
                <td class="wide">
                  <ProgressBar counts={c.counts} progress={c.progress} compact />
                </td>
                <td>
                  <button type="button" class="danger" onClick={() => setDeleting(c)}>
                    Delete…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {deleting ? (
        <TypedConfirm
          title="Delete planned campaign"
          id={deleting.id}
          warning={
            <>
              Deletes <strong>{deleting.name}</strong> from the planned sends: nothing more of it is sent and everyone not
              yet sent is marked notSent (deleted). This cannot be undone.
            </>
          }
          action="Delete"
          busyLabel="Deleting…"
          onClose={() => setDeleting(undefined)}
          onConfirm={async (typed) => {
            const report = await campaigns.deletePlanned(deleting.id, typed);
            setDeleting(undefined);
            setNotice(`Deleted ${deleting.name}: ${num(report.counts.notSent)} delivery(ies) notSent, ${num(report.counts.sent)} had been sent.`);
            await refresh();
          }}
        />
      ) : null}
    </section>
  );
}
