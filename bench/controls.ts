/**
 * The benchmark's control trials, measured from outside as a user would: campaigns sent through the REST API to
 * the sink, then stopped, paused or braked at a random share (10-60 %) of the send; the time from request to
 * answer, what the sink received after the answer (watched for 3 s), and, for a stop, how long the work after the
 * answer took and whether the books came out exact.
 */
import type { DeliveryCounts } from '../src/domain/types';
import type { Herald } from './herald';

/** One stop at a random moment. */
export interface StopSample {
  recipients: number;
  /** Request to answer. */
  ms: number;
  /** Messages the sink received of the campaign after the answer. */
  afterAnswer: number;
  /** Share of the campaign at the sink when the stop was asked. */
  share: number;
  /** Request to the report's completedAt (notSent rows, events and recall written). */
  completeMs: number;
  /** notSent rows (with their events) written per second after the answer. */
  notSentPerSecond: number | null;
  /** planned = sent + notSent + failed + inDoubt, nothing pending, the sink's count = sent, one event per notSent. */
  exact: boolean;
  /** Ms after the request: the workflow had it, every batch had confirmed it stopped, the workflow answered. */
  phases: { received: number; aborted: number; answered: number };
  note?: string;
}

/** One pause or brake at a random moment, with three campaigns sending. */
export interface HoldSample {
  ms: number;
  afterAnswer: number;
}

/** What the sink says of a campaign. */
export type SinkStats = (campaignId: string, after?: number) => Promise<{ count: number; after: number }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Counts = DeliveryCounts;

interface Report {
  from: string;
  answeredAt: string;
  requestedAt: string;
  completedAt: string | null;
  steps: { step: string; at: string; endedAt?: string; done?: number }[];
  counts: Counts;
}

/** Waits until the sink has `count` messages of the campaign; false if the campaign finished first. */
export async function reach(herald: Herald, sink: SinkStats, id: string, count: number): Promise<boolean> {
  for (let i = 0; ; i++) {
    if ((await sink(id)).count >= count) return true;
    if (i % 50 === 49) {
      const c = await herald.api.call<{ status: string }>('GET', `/v1/campaigns/${id}`);
      if (c.status !== 'Sending') return false;
    }
    await sleep(10);
  }
}

/** Counts a campaign's events of `type` through the API. */
async function countEvents(herald: Herald, id: string, type: string): Promise<number> {
  let n = 0;
  for (let after: string | null = null; ; ) {
    const page: { items: unknown[]; next: string | null } = await herald.api.call(
      'GET',
      `/v1/events?campaignId=${id}&type=${type}&limit=1000${after ? `&after=${after}` : ''}`,
    );
    n += page.items.length;
    if (!page.next) return n;
    after = page.next;
  }
}

/**
 * `trials` campaigns of `recipients` contacts on `channels`, each stopped at a random share of its send (10-60 %
 * unless `shares` says otherwise). Events
 * are counted one by one for campaigns up to `countEventsUpTo` deliveries (beyond, the report's step is trusted).
 */
export async function stopTrials(
  herald: Herald,
  sink: SinkStats,
  audience: string,
  recipients: number,
  channels: ('email' | 'sms')[],
  trials: number,
  shares: readonly [number, number] = [0.1, 0.6],
  countEventsUpTo = 200_000,
): Promise<StopSample[]> {
  const samples: StopSample[] = [];
  const planned = recipients * channels.length;
  for (let t = 0; t < trials; t++) {
    const id = await herald.api.campaign(audience, `stop ${recipients} trial ${t}`, channels);
    await herald.api.call('POST', `/v1/campaigns/${id}/send`);
    const share = shares[0] + Math.random() * (shares[1] - shares[0]);
    if (!(await reach(herald, sink, id, Math.round(planned * share)))) throw new Error(`stop trial ${t}: finished before ${Math.round(share * 100)} %`);
    const requested = Date.now();
    const answer = await herald.api.call<Report>('POST', `/v1/campaigns/${id}/stop`, { confirmation: id });
    const answered = Date.now();
    if (answer.from !== 'Sending') throw new Error(`stop trial ${t}: the campaign was ${answer.from}`);
    await sleep(3_000);
    const afterAnswer = (await sink(id, answered)).after;
    let report: Report;
    for (;;) {
      report = await herald.api.call<Report>('GET', `/v1/campaigns/${id}/report`);
      if (report.completedAt) break;
      await sleep(100);
    }
    const c = (await herald.api.call<{ counts: Counts }>('GET', `/v1/campaigns/${id}`)).counts;
    const written = report.steps.find((s) => s.step === 'not_sent_written');
    const writeMs = written?.endedAt ? Date.parse(written.endedAt) - Date.parse(written.at) : 0;
    let events = written?.done ?? 0;
    if (planned <= countEventsUpTo) {
      events = 0;
      for (const channel of channels) events += await countEvents(herald, id, `${channel === 'email' ? 'message' : 'sms'}.notSent`);
    }
    const exact =
      c.planned === planned &&
      c.pending === 0 &&
      c.sent + c.notSent + c.failed + c.inDoubt === c.planned &&
      (await sink(id)).count === c.sent &&
      events === c.notSent &&
      (Object.keys(answer.counts) as (keyof Counts)[]).every((k) => answer.counts[k] === c[k]);
    samples.push({
      recipients,
      ms: answered - requested,
      afterAnswer,
      share: Math.round(share * 100) / 100,
      completeMs: Date.parse(report.completedAt!) - requested,
      notSentPerSecond: writeMs > 0 && written?.done ? Math.round((written.done / writeMs) * 1000) : null,
      exact,
      phases: {
        received: Date.parse(answer.requestedAt) - requested,
        aborted: Date.parse(answer.steps[0]!.at) - requested,
        answered: Date.parse(answer.answeredAt) - requested,
      },
      ...(exact ? {} : { note: `answer ${JSON.stringify(answer.counts)}, after ${JSON.stringify(c)}, events ${events}` }),
    });
    const s = samples.at(-1)!;
    console.log(
      `    stop ${t + 1}/${trials} at ${Math.round(share * 100)} %: ${s.ms} ms (${JSON.stringify(s.phases)}), ${s.afterAnswer} after, complete in ${s.completeMs} ms` +
        `${s.notSentPerSecond ? `, notSent ${s.notSentPerSecond}/s` : ''}${exact ? '' : ` NOT EXACT: ${s.note}`}`,
    );
  }
  return samples;
}

/**
 * `trials` rounds of three campaigns sending at once; at a random 10-60 % of the first one's send, a pause of it
 * (`pause`) or the account's brake (`brake`): the time to the answer and what arrived after it of the campaigns held.
 */
export async function holdTrials(herald: Herald, sink: SinkStats, audience: string, recipients: number, action: 'pause' | 'brake', trials: number) {
  const samples: HoldSample[] = [];
  for (let t = 0; t < trials; t++) {
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) ids.push(await herald.api.campaign(audience, `${action} trial ${t}.${k}`));
    for (const id of ids) await herald.api.call('POST', `/v1/campaigns/${id}/send`);
    const share = 0.1 + Math.random() * 0.5;
    if (!(await reach(herald, sink, ids[0]!, Math.round(recipients * share)))) throw new Error(`${action} trial ${t}: finished first`);
    const requested = Date.now();
    if (action === 'pause') await herald.api.call('POST', `/v1/campaigns/${ids[0]}/pause`);
    else await herald.api.call('POST', '/v1/account/brake', { on: true });
    const answered = Date.now();
    await sleep(3_000);
    const held = action === 'pause' ? ids.slice(0, 1) : ids;
    let afterAnswer = 0;
    for (const id of held) afterAnswer += (await sink(id, answered)).after;
    samples.push({ ms: answered - requested, afterAnswer });
    console.log(`    ${action} ${t + 1}/${trials}: ${answered - requested} ms, ${afterAnswer} after`);
    if (action === 'brake') await herald.api.call('POST', '/v1/account/brake', { on: false });
    for (const id of ids) await herald.api.call('POST', `/v1/campaigns/${id}/stop`, { confirmation: id }).catch(() => undefined);
  }
  return samples;
}

/** The value at percentile `p` (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
