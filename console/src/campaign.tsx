/** One campaign: counts per channel, live progress and ETA, its controls, Stop delivery, and the report panel. */
import { useEffect, useState } from 'preact/hooks';
import { REPORT_STEPS, canControl, type ReportStepName } from '../../src/domain/vocabulary';
import { ApiError, campaigns, type CampaignView, type ReportView } from './api';
import { SendTime } from './campaigns';
import { Confirm, CountsTable, Dialog, ErrorNote, EtaLine, Link, ProgressBar, Status, TypedConfirm, num, time } from './components';
import { navigate, usePoll } from './hooks';

/** The report steps as the panel titles them. */
const STEP_TITLES: Partial<Record<string, string>> & Record<ReportStepName, string> = {
  in_flight_aborted: 'In-flight batches stopped',
  audience_planned: 'Audience planned',
  provider_cancellation: 'Providers asked to cancel',
  not_sent_written: 'Unsent deliveries marked notSent',
  final_counts: 'Final counts',
};

/** The steps a stop, cancel or delete took, each with its time, and the counts it left. */
export function ReportPanel({ report }: { report: ReportView }) {
  // A step the API adds later sorts by its time, after the known ones of the same time.
  const order = (s: string) => {
    const i = (REPORT_STEPS as readonly string[]).indexOf(s);
    return i === -1 ? REPORT_STEPS.length : i;
  };
  const steps = [...report.steps].sort((a, b) => a.at.localeCompare(b.at) || order(a.step) - order(b.step));
  const answeredMs = Date.parse(report.answeredAt) - Date.parse(report.requestedAt);
  return (
    <section class="report" aria-label="Report">
      <h2>
        {report.action === 'stop' ? 'Stop report' : report.action === 'delete' ? 'Delete report' : 'Cancel report'}
      </h2>
      <p>
        {report.action} requested at {time(report.requestedAt, true)} by{' '}
        <span class="key-name" title={report.requestedBy}>{report.requestedByName ?? report.requestedBy}</span> while {report.from}; answered at{' '}
        {time(report.answeredAt, true)} ({num(answeredMs)} ms), counts final;{' '}
        {report.completedAt ? `every step done at ${time(report.completedAt, true)}.` : 'writing the records now…'}
      </p>
      <ol class="steps">
        {steps.map((s) => (
          <li key={s.step} data-step={s.step}>
            <time dateTime={s.at}>{time(s.at, true)}</time>
            <strong>{STEP_TITLES[s.step] ?? s.step}</strong>
            <span class="result">{s.result}</span>
            {s.total !== undefined && !s.endedAt ? <progress max={s.total} value={s.done ?? 0} /> : null}
          </li>
        ))}
      </ol>
      <CountsTable label="Counts after the report" rows={[['total', report.counts]]} />
    </section>
  );
}

type Simple = 'send' | 'pause' | 'resume' | 'unschedule';
const BUSY: Record<Simple, string> = { send: 'Starting…', pause: 'Pausing…', resume: 'Resuming…', unschedule: 'Unscheduling…' };
const LABEL: Record<Simple, string> = { send: 'Send now', pause: 'Pause', resume: 'Resume', unschedule: 'Unschedule' };
const DONE: Record<Simple, string> = {
  send: 'Sending started.',
  pause: 'Paused: no message of this campaign leaves until you resume it.',
  resume: 'Resumed: the audience was read again; nobody receives it twice.',
  unschedule: 'Unscheduled: it is a Draft again, to edit and schedule anew.',
};

/** The campaign page. */
export function CampaignPage({ id }: { id: string }) {
  const { data: campaign, error, refresh } = usePoll(() => campaigns.get(id), [id]);
  const [report, setReport] = useState<ReportView | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<ApiError | undefined>(undefined);
  const [dialog, setDialog] = useState<'stop' | 'cancel' | 'schedule' | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  // A stopped or cancelled campaign has a report; read it once it gets there.
  const status = campaign?.status;
  useEffect(() => {
    setReport(undefined);
    setActionError(undefined);
    setNotice(undefined);
  }, [id]);
  // A stop answers before its records are written: the report is read again until its last step has ended.
  const completed = report?.completedAt;
  useEffect(() => {
    if ((status !== 'Stopped' && status !== 'Cancelled') || completed) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () =>
      campaigns.report(id).then(
        (r) => {
          if (!live) return;
          setReport(r);
          if (!r.completedAt) timer = setTimeout(read, 500);
        },
        () => undefined, // a campaign cancelled before it had a workflow report has none to show
      );
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, status, completed]);

  if (!campaign) {
    return (
      <section>
        <Link to="/">← Campaigns</Link>
        <ErrorNote error={error} />
        {!error ? <p>Loading…</p> : null}
      </section>
    );
  }

  const run = async (label: string, action: () => Promise<unknown>, done?: string) => {
    setBusy(label);
    setActionError(undefined);
    setNotice(undefined);
    try {
      await action();
      if (done) setNotice(done);
      await refresh();
    } catch (err) {
      setActionError(err as ApiError);
    } finally {
      setBusy(undefined);
    }
  };
  const simple = (action: Simple) => run(BUSY[action], () => campaigns[action](id), DONE[action]);
  const copy = () =>
    run('Copying…', async () => {
      const created = await campaigns.copy(id);
      navigate(`/campaigns/${created.id}`);
    });
  const channels = Object.entries(campaign.byChannel) as [string, CampaignView['counts']][];
  const can = (a: Parameters<typeof canControl>[0]) => canControl(a, campaign.status);

  return (
    <section class="campaign" data-campaign={campaign.id}>
      <Link to="/">← Campaigns</Link>
      <div class="title-row start">
        <h1>{campaign.name}</h1>
        <Status status={campaign.status} held={campaign.heldByBrake} />
      </div>
      <p class="meta">
        <span class="id">{campaign.id}</span> · channels {campaign.channels.map((c) => c.channel).join(', ')} · send time{' '}
        <SendTime campaign={campaign} />
        {campaign.finishedAt ? <> · finished {time(campaign.finishedAt)}</> : null}
        {campaign.status === 'Draft' ? null : (
          <>
            {' · '}
            <a href={campaign.workflowUrl} target="_blank" rel="noreferrer">
              Workflow {campaign.workflowId} in the Temporal Web UI ↗
            </a>
          </>
        )}
      </p>
      {campaign.heldByBrake ? <p class="held-note">Held by the account's emergency brake: it goes on when the brake is released.</p> : null}
      {campaign.deletedAt ? <p class="held-note">Deleted from the planned sends at {time(campaign.deletedAt)}.</p> : null}
      {campaign.error ? <p class="error">Error: {campaign.error}</p> : null}
      <ErrorNote error={error} />

      <div class="actions">
        {(['send', 'pause', 'resume', 'unschedule'] as const)
          .filter((a) => (a === 'send' ? campaign.status === 'Draft' : can(a)))
          .map((a) => (
            <button key={a} type="button" disabled={!!busy} onClick={() => void simple(a)}>
              {busy === BUSY[a] ? BUSY[a] : LABEL[a]}
            </button>
          ))}
        {campaign.status === 'Draft' ? (
          <>
            <button type="button" disabled={!!busy} onClick={() => setDialog('schedule')}>
              Schedule…
            </button>
            <Link to={`/campaigns/${campaign.id}/edit`} class="button">
              Edit
            </Link>
          </>
        ) : null}
        {can('cancel') ? (
          <button type="button" disabled={!!busy} onClick={() => setDialog('cancel')}>
            Cancel…
          </button>
        ) : null}
        <button type="button" disabled={!!busy} onClick={() => void copy()}>
          {busy === 'Copying…' ? busy : 'Copy as draft'}
        </button>
        {can('stop') ? (
          <button type="button" class="danger big" disabled={!!busy} onClick={() => setDialog('stop')}>
            Stop delivery
          </button>
        ) : null}
      </div>
      <ErrorNote error={actionError} />
      {notice ? <p class="notice">{notice}</p> : null}
      {report ? <ReportPanel report={report} /> : null}

      <div class="panel">
        <ProgressBar counts={campaign.counts} progress={campaign.progress} />
        {campaign.status === 'Sending' || campaign.status === 'Paused' ? <EtaLine eta={campaign.eta} /> : null}
      </div>
      <CountsTable label="Counts per channel" rows={[...channels, ['total', campaign.counts]]} />


      {dialog === 'stop' ? (
        <TypedConfirm
          title="Stop delivery"
          id={campaign.id}
          warning={
            <>
              Stops <strong>{campaign.name}</strong> now: messages in flight are aborted, providers are asked to cancel
              what they still hold, and everyone not yet sent is marked notSent. This cannot be undone.
            </>
          }
          action="Stop delivery"
          busyLabel="Stopping…"
          onClose={() => setDialog(undefined)}
          onConfirm={async (typed) => {
            const r = await campaigns.stop(campaign.id, typed);
            setReport(r);
            setDialog(undefined);
            setNotice('Delivery stopped. The report below lists each step taken.');
            await refresh();
          }}
        />
      ) : null}
      {dialog === 'cancel' ? (
        <Confirm
          title="Cancel the scheduled campaign"
          text={<>Nobody will receive {campaign.name}; everyone planned is marked notSent (cancelled). This cannot be undone.</>}
          action="Cancel campaign"
          onClose={() => setDialog(undefined)}
          onConfirm={() => {
            setDialog(undefined);
            void run('Cancelling…', async () => setReport(await campaigns.cancel(id)));
          }}
        />
      ) : null}
      {dialog === 'schedule' ? (
        <ScheduleDialog
          onClose={() => setDialog(undefined)}
          onSchedule={(at) => {
            setDialog(undefined);
            void run('Scheduling…', () => campaigns.schedule(id, at), `Scheduled for ${time(at)}.`);
          }}
        />
      ) : null}
    </section>
  );
}

function ScheduleDialog({ onSchedule, onClose }: { onSchedule: (at: string) => void; onClose: () => void }) {
  const [value, setValue] = useState('');
  return (
    <Dialog title="Schedule" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value) onSchedule(new Date(value).toISOString());
        }}
      >
        <label>
          Send at (your local time)
          <input type="datetime-local" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
        <div class="buttons">
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button type="submit" disabled={!value}>
            Schedule
          </button>
        </div>
      </form>
    </Dialog>
  );
}
