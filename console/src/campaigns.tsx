/** The campaign list: status, channels, send time, live progress; filtered by status. */
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../src/domain/vocabulary';
import { campaigns, type CampaignView } from './api';
import { CampaignCells, ErrorNote, Link, Pager, PauseIcon, ProgressBar, time } from './components';
import { navigate, useCursor, usePoll } from './hooks';

/** When the campaign sends: its start, or its schedule. */
function sendTime(c: CampaignView): string | null {
  return c.startedAt ?? c.scheduledAt;
}

/** The send time cell, with the pause icon beside it while the campaign is paused. */
export function SendTime({ campaign }: { campaign: CampaignView }) {
  const at = sendTime(campaign);
  return (
    <span class="send-time">
      {at ? time(at) : '—'}
      {campaign.status === 'Paused' ? (
        <PauseIcon title={campaign.heldByBrake ? 'Held by the emergency brake' : 'Paused'} />
      ) : null}
    </span>
  );
}

/** The campaign list page; `status` comes from the URL (`?status=Sending`). */
export function CampaignList({ status }: { status: CampaignStatus | undefined }) {
  const cursor = useCursor([status]);
  const { data, error } = usePoll(() => campaigns.list(status, cursor.after), [status, cursor.after]);
  return (
    <section>
      <div class="title-row">
        <h1>Campaigns</h1>
        <Link to="/campaigns/new" class="button primary">
          New campaign
        </Link>
        <label class="filter">
          Status{' '}
          <select
            aria-label="Filter by status"
            value={status ?? ''}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              navigate(value ? `/?status=${value}` : '/');
            }}
          >
            <option value="">All</option>
            {CAMPAIGN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={error} />
      {data && data.items.length === 0 ? (
        <p class="empty">{status ? `No campaign is ${status}.` : 'No campaigns yet: make one with New campaign.'}</p>
      ) : null}
      {data && data.items.length > 0 ? (
        <table class="list campaigns">
          <thead>
            <tr>
              <th>Status</th>
              <th>Name</th>
              <th>Channels</th>
              <th>Send time</th>
              <th class="wide">Progress</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((c) => (
              <tr key={c.id} data-campaign={c.id}>
                <CampaignCells campaign={c} />
                <td>{c.channels.map((ch) => ch.channel).join(', ')}</td>
                <td>
                  <SendTime campaign={c} />
                </td>
                <td class="wide">
                  <ProgressBar counts={c.counts} progress={c.progress} compact />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager cursor={cursor} next={data?.next} label="Campaigns" />
    </section>
  );
}
