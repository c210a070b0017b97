/**
 * The report of a stop, cancel or delete, built step by step: pure (no I/O, no clock of its own), so the workflow
 * passes the time of each change. A step that takes a while shows `done` of `total` while it runs and `endedAt` once
 * it ended; the report is complete when `completedAt` is set.
 */
import { emptyCounts, type ControlReport, type DeliveryCounts, type ReportStep } from '../domain/types';
import type { CampaignStatus, Channel, ReportStepName } from '../domain/vocabulary';

/** What a report starts from. */
export interface ReportStart {
  campaignId: string;
  action: ControlReport['action'];
  requestedBy: string;
  requestedAt: string;
  from: CampaignStatus;
}

/** Builds one report; `snapshot()` is what the update answers and the store keeps. */
export class ReportBuilder {
  private readonly steps: ReportStep[] = [];
  private answeredAt = '';
  private completedAt: string | null = null;
  private counts: DeliveryCounts | undefined;
  private byChannel: Partial<Record<Channel, DeliveryCounts>> = {};

  constructor(private readonly start: ReportStart) {}

  /** Adds a step that is over as it is written. */
  step(name: ReportStepName, at: string, result: string, counts?: Record<string, number>): this {
    this.steps.push({ step: name, at, result, endedAt: at, ...(counts ? { counts } : {}) });
    return this;
  }

  /** Starts a step that takes a while: `total` to do, when known. */
  begin(name: ReportStepName, at: string, result: string, total?: number): this {
    this.steps.push({ step: name, at, result, done: 0, ...(total !== undefined ? { total } : {}) });
    return this;
  }

  /** Moves a running step on: how much is done, what it says now and the numbers behind it. */
  progress(name: ReportStepName, done: number, result: string, counts?: Record<string, number>): this {
    const s = this.find(name);
    s.done = done;
    s.result = result;
    if (counts) s.counts = counts;
    return this;
  }

  /** Ends a running step. */
  end(name: ReportStepName, at: string): this {
    this.find(name).endedAt = at;
    return this;
  }

  /** The action has answered with these exact counts. */
  answer(at: string, counts: { total: DeliveryCounts; byChannel: Partial<Record<Channel, DeliveryCounts>> }): this {
    this.answeredAt = at;
    this.counts = counts.total;
    this.byChannel = counts.byChannel;
    return this;
  }

  /** The last step has ended; the counts are those the books hold now. */
  complete(at: string, counts: { total: DeliveryCounts; byChannel: Partial<Record<Channel, DeliveryCounts>> }): this {
    this.completedAt = at;
    if (!this.answeredAt) this.answeredAt = at;
    this.counts = counts.total;
    this.byChannel = counts.byChannel;
    return this;
  }

  /** The report as it stands (a copy). */
  snapshot(): ControlReport {
    return {
      ...this.start,
      answeredAt: this.answeredAt || this.start.requestedAt,
      completedAt: this.completedAt,
      steps: this.steps.map((s) => ({ ...s, ...(s.counts ? { counts: { ...s.counts } } : {}) })),
      counts: this.counts ?? emptyCounts(),
      byChannel: this.byChannel,
    };
  }

  private find(name: ReportStepName): ReportStep {
    const s = this.steps.find((x) => x.step === name);
    if (!s) throw new Error(`report has no step ${name}`);
    return s;
  }
}

/** A stop's or delete's answer given by its fence's local activity, once it found nothing on the wire. */
export interface FencedAnswer {
  start: ReportStart;
  /** Batches in flight when the request came. */
  inFlight: number;
  /** When nothing was on the wire any more, and when the answer's status was written (ISO). */
  quietAt: string;
  answeredAt: string;
  counts: { total: DeliveryCounts; byChannel: Partial<Record<Channel, DeliveryCounts>> };
}

/**
 * The report of a fenced answer: the activity saves it and the workflow keeps building on it, so both make it here.
 * No batch has confirmed its cancel yet (those confirmations come through the server, after the answer).
 */
export function fencedReport(a: FencedAnswer): ReportBuilder {
  const inDoubt = a.counts.total.inDoubt;
  return new ReportBuilder(a.start)
    .step('in_flight_aborted', a.quietAt, inFlightResult(a.inFlight, 0, inDoubt), { inFlight: a.inFlight, aborted: 0, inDoubt })
    .answer(a.answeredAt, a.counts);
}

/** The words of the first step: what was in flight and how it ended. */
export function inFlightResult(inFlight: number, aborted: number, inDoubt: number): string {
  const doubt =
    inDoubt > 0 ? `; ${inDoubt} message(s) handed to a provider by a lost worker are in doubt (never resent by a stop)` : '';
  return (
    `${inFlight} batch(es) in flight, ${aborted} of them confirmed aborted by the answer; every call on the wire had ` +
    `ended with its outcome recorded and no batch could hand anything more over${doubt}`
  );
}

/** The words of the recall step. */
export function recallResult(r: { asked: number; cancelled: number; tooLate: number; errors: number }, unsupported: string[]): string {
  const none = unsupported.length > 0 ? `; nothing to ask of: ${unsupported.join(', ')}` : '';
  return (
    `asked providers to cancel ${r.asked} message(s) they could still take back; ${r.cancelled} cancelled, ` +
    `${r.tooLate} already gone, ${r.errors} error(s)${none}`
  );
}

/** The words of the last step. */
export function finalResult(c: DeliveryCounts): string {
  return `planned ${c.planned} = sent ${c.sent} + notSent ${c.notSent} + failed ${c.failed} + inDoubt ${c.inDoubt} + pending ${c.pending}`;
}
