/**
 * Delivery control on a real Temporal server: pause, resume, emergency stop with compensation, cancel,
 * unschedule and copy as draft, checked the way an operator would check them: what the provider received and
 * when, what the counts say, and which events were written.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Express } from 'express';
import { CHANNELS } from '../../src/domain/vocabulary';
import type { SandboxProvider } from '../../src/providers/sandbox';
import { REFUSED, campaignWorkflowId, progressQuery, stopUpdate } from '../../src/workflows/definitions';
import { STORE_KINDS, api, campaignEnded, draftCampaign, eventually, newAccount, notSentRecords, openTestStore, startHerald, type TestHerald, NO_RECEIPTS } from '../helpers';

/** Stop latencies (request to response) and messages seen after any stop or pause response, across this file. */
const observed = { stopMs: [] as number[], afterResponse: 0 };
afterAll(() => {
  console.log(
    `stop latency (request to response), ms: ${observed.stopMs.join(', ')}; ` +
      `messages at a provider after a stop or pause response: ${observed.afterResponse}`,
  );
});

/** Contacts reachable on every channel. */
function everywhere(n: number, prefix: string, extra: object = {}) {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    email: `${prefix}${i + 1}@example.com`,
    phone: `+1415${String(1_000_000 + i).slice(1)}`,
    pushTokens: [`token-${prefix}${i + 1}`],
    webPushSubscriptions: [{ endpoint: `https://push.example.com/${prefix}${i + 1}`, keys: { p256dh: 'p', auth: 'a' } }],
    attributes: { group: prefix },
    ...extra,
  }));
}

const CONTENT = [
  { channel: 'email', subject: 'Hello {{ contact.id }}', body: 'Body' },
  { channel: 'sms', body: 'SMS {{ contact.id }}' },
  { channel: 'push', subject: 'Title', body: 'Push' },
  { channel: 'webpush', subject: 'Title', body: 'Web push' },
];

/** Imports contacts and creates a Draft for everyone in `group`; returns its id. */
async function draft(
  app: Express,
  key: string,
  people: object[],
  extra: { channels?: object[]; localTime?: string; throttle?: object; endAt?: string } = {},
): Promise<string> {
  const http = api(app, key);
  const group = (people[0] as { attributes: { group: string } }).attributes.group;
  for (let i = 0; i < people.length; i += 5_000) {
    await http.post('/v1/contacts', { contacts: people.slice(i, i + 5_000) }).expect(200);
  }
  const { channels = CONTENT, ...rest } = extra;
  return draftCampaign(app, key, { type: 'filter', all: [{ attribute: 'group', op: 'eq', value: group }] }, { name: group, channels, ...rest });
}

/**
 * Waits `ms`, then checks that the provider received nothing of the campaign after `at` (a stop or pause
 * response); returns everything it did receive.
 */
async function nothingArrivesAfter(sandbox: SandboxProvider, campaignId: string, at: number, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  const received = sandbox.forCampaign(campaignId);
  const late = received.filter((m) => m.at > at);
  observed.afterResponse += late.length;
  expect(late).toEqual([]);
  return received;
}

/** The report of a stop once its compensation after the answer has ended (every record and event written). */
async function completedReport(app: Express, key: string, id: string) {
  return eventually(async () => {
    const report = (await api(app, key).get(`/v1/campaigns/${id}/report`).expect(200)).body;
    return report.completedAt ? report : undefined;
  });
}

/** POSTs and returns the response with the time it arrived. */
async function timed(call: () => PromiseLike<{ status: number; body: unknown }>) {
  const sentAt = Date.now();
  const res = await call();
  return { res, sentAt, at: Date.now() };
}

describe.each(STORE_KINDS)('emergency stop mid-send (%s store)', (kind) => {
  let herald: TestHerald;
  let key: string;
  let accountId: string;

  beforeAll(async () => {
    const store = await openTestStore(kind);
    // 100 ms per provider call of 50 messages that, once made, cannot be called back (as an HTTP request on the
    // wire): a stop must wait for those calls to land before it answers.
    herald = await startHerald({
      title: `stop-${kind}`,
      store,
      sandbox: { latencyMs: 100, uninterruptible: true },
      sendOptions: { batchSize: 200, concurrency: 4 },
    });
    ({ apiKey: key, accountId } = await newAccount(store));
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  test('stopping mid-send: nothing reaches a provider after the response, everyone unsent is notSent(stopped) once, on all four channels', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(2_500, `stop${kind}`));
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 1_000 ? true : undefined), 60_000, 20);

    const { res, sentAt, at } = await timed(() => http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }));
    expect(res.status).toBe(200);
    observed.stopMs.push(at - sentAt);
    const answer = res.body as { counts: Record<string, number>; from: string; completedAt: string | null };

    // Nothing after the response, now or a moment later.
    const received = await nothingArrivesAfter(herald.sandbox, id, at, 500);

    // The answer's numbers are final and every read shows them at once: everyone planned is sent or notSent (or in
    // doubt), nobody pending, nobody twice.
    const campaign = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(campaign.status).toBe('Stopped');
    const c = campaign.counts;
    expect(c).toMatchObject(answer.counts);
    expect(c.planned).toBe(10_000);
    expect(c.pending).toBe(0);
    expect(c.inDoubt).toBe(0);
    expect(c.sent + c.notSent + c.failed).toBe(c.planned);
    expect(c.sent).toBe(received.length);
    expect(c.notSent).toBeGreaterThan(0);
    expect(herald.sandbox.duplicates()).toBe(0);
    expect(herald.sandbox.replays).toBe(0);
    for (const channel of CHANNELS) {
      expect(campaign.byChannel[channel].sent).toBe(received.filter((m) => m.channel === channel).length);
      expect(campaign.byChannel[channel].notSent).toBeGreaterThan(0);
    }
    const shown = (await http.get(`/v1/campaigns/${id}/deliveries?state=notSent&limit=1`).expect(200)).body.items;
    expect(shown[0]).toMatchObject({ state: 'notSent', reason: 'stopped' });

    // After the answer, the compensation writes one notSent event of its channel per unsent delivery
    // (message.notSent, sms.notSent, ...); the report says when it is done.
    const report = await completedReport(herald.app, key, id);
    const records = await notSentRecords(herald.store, accountId, id);
    expect(records.events).toEqual(records.deliveries);
    expect(records.deliveries).toHaveLength(c.notSent);
    const stopped = await herald.store.listEvents(accountId, { campaignId: id, type: 'webpush.notSent', limit: 1 });
    expect(stopped.items[0]).toMatchObject({ reason: 'stopped', channel: 'webpush' });

    // The report panel: each step with its time and result, and the final counts; readable again later.
    expect(report.from).toBe('Sending');
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual(['in_flight_aborted', 'not_sent_written', 'provider_cancellation', 'final_counts']);
    // Usually 16 batches (4 lanes per channel) are in flight; a stop that lands while the workflow continues as new finds none.
    const { inFlight, aborted } = report.steps[0]!.counts!;
    expect(inFlight).toBeLessThanOrEqual(16);
    expect(aborted).toBeLessThanOrEqual(inFlight!);
    const written = report.steps[1]!;
    expect(written).toMatchObject({ done: c.notSent, total: c.notSent, endedAt: expect.any(String) });
    expect(Object.values(written.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(c.notSent);
    expect(Object.keys(written.counts).sort()).toEqual([...CHANNELS].sort());
    expect(c).toMatchObject(report.counts);
    expect(report.answeredAt).toBe((res.body as { answeredAt: string }).answeredAt);
    expect((await http.get(`/v1/campaigns/${id}`).expect(200)).body.counts).toEqual(c);

    // Temporal agrees, and the campaign is final.
    const handle = herald.client.workflow.getHandle(campaignWorkflowId(id));
    expect(await handle.result()).toMatchObject({ status: 'Stopped' });
    const attrs = (await handle.describe()).typedSearchAttributes.getAll();
    expect(attrs.find((p) => p.key.name === 'CampaignStatus')?.value).toBe('Stopped');
    const again = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('cannot stop a campaign that is Stopped');
  });
});

describe('pause, resume, cancel, unschedule and copy (postgres store)', () => {
  let herald: TestHerald;
  let key: string;
  let keyId: string;
  let accountId: string;

  beforeAll(async () => {
    const store = await openTestStore('postgres');
    herald = await startHerald({ title: 'control', store, sandbox: { latencyMs: 40 }, sendOptions: { batchSize: 100, concurrency: 4 } });
    ({ apiKey: key, accountId, keyId } = await newAccount(store));
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  const emailOnly = [{ channel: 'email', subject: 'Hi', body: 'Hello {{ contact.id }}' }];

  test('pause stops every message at once; resume sends the rest and the contacts added meanwhile, nobody twice', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(2_000, 'pause'), { channels: emailOnly });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 300 ? true : undefined), 60_000, 20);

    const { res, at } = await timed(() => http.post(`/v1/campaigns/${id}/pause`));
    expect(res.status).toBe(200);
    expect((res.body as { status: string }).status).toBe('Paused');
    const beforeResume = await nothingArrivesAfter(herald.sandbox, id, at, 1_000);
    const paused = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(paused.counts).toMatchObject({ inDoubt: 0, sent: beforeResume.length, pending: 2_000 - beforeResume.length });

    // The audience changes during the pause: 100 new contacts join on resume.
    await http.post('/v1/contacts', { contacts: everywhere(100, 'pause', { attributes: { group: 'pause' } }).map((c, i) => ({ ...c, id: `late${i}`, email: `late${i}@example.com` })) }).expect(200);
    const resumed = await http.post(`/v1/campaigns/${id}/resume`).expect(200);
    expect(resumed.body.status).toBe('Sending');

    const done = await campaignEnded(herald.app, key, id);
    expect(done.status).toBe('Finished');
    expect(done.counts).toEqual({ planned: 2_100, pending: 0, sent: 2_100, notSent: 0, failed: 0, inDoubt: 0, ...NO_RECEIPTS });
    const received = herald.sandbox.forCampaign(id);
    expect(received).toHaveLength(2_100);
    expect(new Set(received.map((m) => m.contactId)).size).toBe(2_100);
    expect(received.filter((m) => m.contactId.startsWith('late'))).toHaveLength(100);
    expect(herald.sandbox.duplicates()).toBe(0);
    expect(herald.sandbox.replays).toBe(0);
  });

  test('a local-time wave whose hour passed during the pause is sent at once on resume; later waves wait', async () => {
    const http = api(herald.app, key);
    // The UTC wave is due in 3 s; for Tokyo the same time of day is hours away.
    const wave = new Date(Date.now() + 3_000).toISOString().slice(11, 19);
    const people = [
      ...everywhere(50, 'wave', { timezone: 'UTC' }),
      ...everywhere(50, 'wave', { timezone: 'Asia/Tokyo' }).map((c) => ({ ...c, id: `tokyo-${c.id}` })),
    ];
    const id = await draft(herald.app, key, people, { channels: emailOnly, localTime: wave });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await http.post(`/v1/campaigns/${id}/pause`).expect(200);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(herald.sandbox.forCampaign(id)).toHaveLength(0);

    const resumedAt = Date.now();
    await http.post(`/v1/campaigns/${id}/resume`).expect(200);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 50 ? true : undefined), 30_000, 20);
    const received = herald.sandbox.forCampaign(id);
    expect(received.every((m) => !m.contactId.startsWith('tokyo-') && m.at >= resumedAt && m.at < resumedAt + 5_000)).toBe(true);
    // The wave's batches finish recording; then the workflow waits for Tokyo with no batch running (no batch for
    // a while: a pass that found nothing due, or a continue-as-new between passes, has none only for a moment).
    const handle = herald.client.workflow.getHandle(campaignWorkflowId(id));
    const idle = async () => (await handle.query(progressQuery)).inFlightBatches === 0;
    await eventually(async () => {
      if (!(await idle())) return undefined;
      await new Promise((r) => setTimeout(r, 500));
      return (await idle()) ? true : undefined;
    }, 30_000, 20);
    const sending = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(sending.status).toBe('Sending');
    expect(sending.counts).toMatchObject({ sent: 50, pending: 50 });

    // The Tokyo wave is still held by Herald: a stop takes it back.
    const stop = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
    expect(stop.body.counts).toMatchObject({ sent: 50, notSent: 50, pending: 0 });
    expect(stop.body.steps[0].counts).toEqual({ inFlight: 0, aborted: 0, inDoubt: 0 });
  });

  test('with a throttle, the interrupted window completes on resume and the next is not sent once the end date has passed', async () => {
    const throttled = await startHerald({
      title: 'throttle',
      store: herald.store,
      sandbox: { latencyMs: 250 },
      sendOptions: { batchSize: 100, concurrency: 4 },
      chunkSize: 5,
    });
    try {
      const t = api(throttled.app, key);
      const id = await draft(throttled.app, key, everywhere(100, 'throttle'), {
        channels: emailOnly,
        throttle: { limit: 20, periodSeconds: 3 },
        endAt: new Date(Date.now() + 6_500).toISOString(),
      });
      // 5 messages per provider call of 250 ms: a window of 20 takes about a second.
      await t.post(`/v1/campaigns/${id}/send`).expect(202);
      await eventually(async () => (throttled.sandbox.forCampaign(id).length >= 25 ? true : undefined), 30_000, 10);
      await t.post(`/v1/campaigns/${id}/pause`).expect(200);
      const atPause = throttled.sandbox.forCampaign(id);
      const first = atPause[0]!.at;
      // Window 2 started at its scheduled time (3 s after window 1), not right after window 1 (about 1 s).
      expect(atPause[20]!.at - first).toBeGreaterThanOrEqual(2_500);
      expect(atPause.length).toBeLessThan(40);

      await eventually(async () => (Date.now() > first + 7_000 ? true : undefined), 20_000, 100);
      await t.post(`/v1/campaigns/${id}/resume`).expect(200);
      const done = await campaignEnded(throttled.app, key, id);
      expect(done.counts).toMatchObject({ planned: 100, sent: 40, notSent: 60, pending: 0, inDoubt: 0 });
      const expired = await herald.store.listEvents(accountId, { campaignId: id, type: 'message.notSent', limit: 100 });
      expect(expired.items).toHaveLength(60);
      expect(expired.items.every((e) => e.reason === 'end_date_passed')).toBe(true);
    } finally {
      await throttled.stop();
    }
  });

  test('a wrong confirmation gets 422 and changes nothing; invalid transitions get 409; stop while Paused', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(5_000, 'wrong'), { channels: emailOnly });
    await http.post(`/v1/campaigns/${id}/pause`).expect(409);
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 100 ? true : undefined), 60_000, 20);

    const wrong = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: 'cmp_wrong' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toMatch(/type the campaign id/);
    expect((await http.get(`/v1/campaigns/${id}`).expect(200)).body.status).toBe('Sending');
    const resume = await http.post(`/v1/campaigns/${id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.error.message).toBe('cannot resume a campaign that is Sending');

    // Backend services get the same refusal from the workflow's validator, with nothing written to its history.
    const handle = herald.client.workflow.getHandle(campaignWorkflowId(id));
    const refused = await handle.executeUpdate(stopUpdate, { args: [{ confirmation: 'nope' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(REFUSED.confirmation);
    expect((await handle.query(progressQuery)).status).toBe('Sending');

    await http.post(`/v1/campaigns/${id}/pause`).expect(200);
    expect((await http.post(`/v1/campaigns/${id}/pause`)).body.error.message).toBe('cannot pause a campaign that is Paused');
    const { res, sentAt, at } = await timed(() => http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }));
    observed.stopMs.push(at - sentAt);
    expect(res.status).toBe(200);
    const report = res.body as { from: string; counts: { sent: number; notSent: number; planned: number; pending: number } };
    expect(report.from).toBe('Paused');
    expect(report.counts.sent + report.counts.notSent).toBe(5_000);
    expect(report.counts.pending).toBe(0);
    expect(herald.sandbox.forCampaign(id)).toHaveLength(report.counts.sent);
    expect((await http.post(`/v1/campaigns/${id}/resume`)).status).toBe(409);

    // Every control action is in the audit log: who, what, result.
    const audit = (await http.get('/v1/audit?limit=1000').expect(200)).body.items.filter((e: { target: string }) => e.target === id);
    expect(audit.map((e: { action: string; result: string }) => `${e.action}:${e.result}`)).toEqual([
      'campaign.create:ok',
      'campaign.pause:refused',
      'campaign.send:ok',
      'campaign.stop:refused',
      'campaign.resume:refused',
      'campaign.pause:ok',
      'campaign.pause:refused',
      'campaign.stop:ok',
      'campaign.resume:refused',
    ]);
    expect(audit.every((e: { actor: string }) => e.actor === keyId)).toBe(true);
  });

  test('stop after Finished asks the provider to cancel what it still holds; each becomes notSent(provider_cancelled)', async () => {
    const holding = await startHerald({ title: 'hold', store: herald.store, sandbox: { holdMs: 60_000 } });
    try {
      const http = api(holding.app, key);
      const id = await draft(holding.app, key, everywhere(300, 'held'), { channels: CONTENT.slice(0, 2) });
      await http.post(`/v1/campaigns/${id}/send`).expect(202);
      const finished = await campaignEnded(holding.app, key, id);
      expect(finished.status).toBe('Finished');
      expect(finished.counts.sent).toBe(600);
      expect(await holding.client.workflow.getHandle(campaignWorkflowId(id)).result()).toMatchObject({ status: 'Finished' });

      const { res, sentAt, at } = await timed(() => http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }));
      observed.stopMs.push(at - sentAt);
      expect(res.status).toBe(200);
      // Everything was handed over: the answer counts it sent; the recall follows the answer.
      expect(res.body).toMatchObject({ from: 'Finished', counts: { planned: 600, sent: 600, pending: 0 } });
      const report = await completedReport(holding.app, key, id);
      expect(report.steps.find((s: { step: string }) => s.step === 'provider_cancellation')?.counts).toEqual({ asked: 600, cancelled: 600, tooLate: 0, errors: 0 });
      expect(report.counts).toMatchObject({ planned: 600, sent: 0, notSent: 600, pending: 0 });
      expect(holding.sandbox.cancelRequests).toBe(600);
      // Nothing the provider held will reach anyone.
      expect(holding.sandbox.deliveredFor(id, Date.now() + 120_000)).toHaveLength(0);
      const cancelled = await herald.store.listEvents(accountId, { campaignId: id, type: 'sms.notSent', limit: 1000 });
      expect(cancelled.items).toHaveLength(300);
      expect(cancelled.items.every((e) => e.reason === 'provider_cancelled')).toBe(true);
      expect((await http.get(`/v1/campaigns/${id}`).expect(200)).body.status).toBe('Stopped');
    } finally {
      await holding.stop();
    }
  });

  test('cancel before start: nothing sent, everyone notSent(cancelled); a Draft cannot be cancelled', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(120, 'cancel'), { channels: CONTENT.slice(0, 2) });
    expect((await http.post(`/v1/campaigns/${id}/cancel`, {})).status).toBe(409);
    await http.post(`/v1/campaigns/${id}/schedule`, { at: new Date(Date.now() + 3_600_000).toISOString() }).expect(202);
    const res = await http.post(`/v1/campaigns/${id}/cancel`, {}).expect(200);
    expect(res.body.steps.map((s: { step: string }) => s.step)).toEqual(['audience_planned', 'not_sent_written', 'final_counts']);
    expect(res.body.counts).toMatchObject({ planned: 240, notSent: 240, sent: 0, pending: 0 });
    const campaign = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(campaign.status).toBe('Cancelled');
    const records = await notSentRecords(herald.store, accountId, id);
    expect(records.events).toEqual(records.deliveries);
    expect(records.events).toHaveLength(240);
    expect(herald.sandbox.forCampaign(id)).toHaveLength(0);
    expect((await http.post(`/v1/campaigns/${id}/schedule`, { at: new Date(Date.now() + 60_000).toISOString() })).status).toBe(409);
  });

  test('unschedule returns a Draft that can be edited and scheduled again', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(40, 'unsched'), { channels: emailOnly });
    await http.post(`/v1/campaigns/${id}/schedule`, { at: new Date(Date.now() + 3_600_000).toISOString() }).expect(202);
    const back = await http.post(`/v1/campaigns/${id}/unschedule`).expect(200);
    expect(back.body).toMatchObject({ status: 'Draft', scheduledAt: null });
    await http.patch(`/v1/campaigns/${id}`, { name: 'fixed typo' }).expect(200);
    await http.post(`/v1/campaigns/${id}/schedule`, { at: new Date(Date.now() + 1_500).toISOString() }).expect(202);
    const done = await campaignEnded(herald.app, key, id);
    expect(done).toMatchObject({ status: 'Finished', name: 'fixed typo' });
    expect(done.counts.sent).toBe(40);
    expect(herald.sandbox.forCampaign(id)).toHaveLength(40);
  });

  test('copy as draft leaves out everyone the original was sent to', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(1_000, 'copy'), { channels: emailOnly });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 200 ? true : undefined), 60_000, 20);
    const stopped = await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
    const sentBefore = stopped.body.counts.sent as number;

    const copy = await http.post(`/v1/campaigns/${id}/copy`).expect(201);
    expect(copy.body).toMatchObject({ status: 'Draft', copiedFrom: id, excludeSentOf: [id], channels: emailOnly });
    await http.post(`/v1/campaigns/${copy.body.id}/send`).expect(202);
    const done = await campaignEnded(herald.app, key, copy.body.id);
    expect(done.counts.sent).toBe(1_000 - sentBefore);
    const first = new Set(herald.sandbox.forCampaign(id).map((m) => m.contactId));
    const second = herald.sandbox.forCampaign(copy.body.id).map((m) => m.contactId);
    expect(second.filter((c) => first.has(c))).toEqual([]);
    expect(new Set([...first, ...second]).size).toBe(1_000);
  });

  test('cancelling the workflow from Temporal is an emergency stop with its compensation', async () => {
    const http = api(herald.app, key);
    const id = await draft(herald.app, key, everywhere(3_000, 'wfcancel'), { channels: emailOnly });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (herald.sandbox.forCampaign(id).length >= 100 ? true : undefined), 60_000, 20);
    const handle = herald.client.workflow.getHandle(campaignWorkflowId(id));
    await handle.cancel();
    expect(await handle.result()).toMatchObject({ status: 'Stopped' });
    const campaign = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(campaign.status).toBe('Stopped');
    expect(campaign.counts.sent + campaign.counts.notSent).toBe(3_000);
    expect(campaign.counts.sent).toBe(herald.sandbox.forCampaign(id).length);
    const report = (await http.get(`/v1/campaigns/${id}/report`).expect(200)).body;
    expect(report).toMatchObject({ action: 'stop', requestedBy: 'temporal' });
  });
});

