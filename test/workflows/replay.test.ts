/**
 * The campaign workflow is deterministic: real histories (a continue-as-new; pause, resume and stop) replay cleanly,
 * and so do histories recorded by the workflow's code before its last patches (a campaign in flight at a deploy).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { api, campaignEnded, contacts, eventually, localActivityOf, newAccount, openTestStore, startHerald, workflowBundlePath, type TestHerald, NO_RECEIPTS } from '../helpers';
import { campaignWorkflowId } from '../../src/workflows/definitions';

let herald: TestHerald;

beforeAll(async () => {
  herald = await startHerald({
    title: 'replay',
    store: await openTestStore('embedded'),
    sendOptions: { batchSize: 40, concurrency: 3, pageSize: 300 },
  });
});
afterAll(async () => {
  await herald.stop();
  await herald.store.close();
});

test('a campaign long enough to continue as new finishes exactly, and each of its runs replays', async () => {
  const { apiKey } = await newAccount(herald.store);
  const http = api(herald.app, apiKey);
  await http.post('/v1/contacts', { contacts: contacts(2_000, 'rp') }).expect(200);
  const audience = await http.post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201);
  const campaign = await http
    .post('/v1/campaigns', {
      name: 'replayed',
      audienceId: audience.body.id,
      channels: [
        { channel: 'email', subject: 'S', body: 'B' },
        { channel: 'sms', body: 'B' },
      ],
    })
    .expect(201);
  await http.post(`/v1/campaigns/${campaign.body.id}/send`).expect(202);

  const handle = herald.client.workflow.getHandle(campaignWorkflowId(campaign.body.id));
  const result = await handle.result();
  expect(result.status).toBe('Finished');
  // 2,000 emails and the 1,000 contacts with a phone.
  expect(result.tally).toMatchObject({ planned: 3_000, sent: 3_000, failed: 0 });
  expect(herald.sandbox.forCampaign(campaign.body.id)).toHaveLength(3_000);
  expect(herald.sandbox.duplicates()).toBe(0);

  const latest = await handle.describe();
  const firstRunId = latest.raw.workflowExecutionInfo?.firstRunId;
  expect(firstRunId).toBeTruthy();
  expect(firstRunId).not.toBe(latest.runId);

  const firstRun = herald.client.workflow.getHandle(handle.workflowId, firstRunId!);
  const firstHistory = await firstRun.fetchHistory();
  const lastEvent = firstHistory.events?.[firstHistory.events.length - 1];
  expect(lastEvent?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

  const bundle = { codePath: process.env.HERALD_TEST_WORKFLOW_BUNDLE! };
  await Worker.runReplayHistory({ workflowBundle: bundle }, firstHistory, handle.workflowId);
  await Worker.runReplayHistory({ workflowBundle: bundle }, await handle.fetchHistory(), handle.workflowId);

  const stored = await campaignEnded(herald.app, apiKey, campaign.body.id);
  expect(stored.status).toBe('Finished');
  expect(stored.counts).toEqual({ planned: 3_000, pending: 0, sent: 3_000, notSent: 0, failed: 0, inDoubt: 0, ...NO_RECEIPTS });
});

test('a history with pause, resume and an emergency stop replays', async () => {
  // 10 messages per 50 ms call: 1,000 SMS take over a second, time enough to pause, resume and stop mid-send.
  const slow = await startHerald({ title: 'replay-control', store: herald.store, sandbox: { latencyMs: 50 }, sendOptions: { batchSize: 100 }, chunkSize: 10 });
  try {
    const { apiKey } = await newAccount(herald.store);
    const http = api(slow.app, apiKey);
    await http.post('/v1/contacts', { contacts: contacts(1_000, 'rc') }).expect(200);
    const audience = await http.post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201);
    const campaign = await http
      .post('/v1/campaigns', { name: 'controlled', audienceId: audience.body.id, channels: [{ channel: 'sms', body: 'B' }] })
      .expect(201);
    const id = campaign.body.id as string;
    const sent = () => slow.sandbox.forCampaign(id).length;
    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    await eventually(async () => (sent() >= 100 ? true : undefined), 30_000, 10);
    await http.post(`/v1/campaigns/${id}/pause`).expect(200);
    await http.post(`/v1/campaigns/${id}/resume`).expect(200);
    const resumedFrom = sent();
    await eventually(async () => (sent() >= resumedFrom + 50 ? true : undefined), 30_000, 10);
    await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);

    const handle = slow.client.workflow.getHandle(campaignWorkflowId(id));
    expect(await handle.result()).toMatchObject({ status: 'Stopped' });
    const history = await handle.fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)).toEqual([
      'pause',
      'resume',
      'stop',
    ]);
    // The pause and the stop cut a pass short: the pause's fence wrote Paused, the stop's fence answered it.
    const activities = (history.events ?? []).map((e) => localActivityOf(e)).filter(Boolean).join(',');
    expect(activities).toContain('recordStatus,fence,fence,retryInDoubt');
    expect(activities).toContain('fenceAndAnswer,markUnsent');
    await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, handle.workflowId);
  } finally {
    await slow.stop();
  }
});

test('histories recorded before the patches folding control local activities replay (pause, resume, a hold asked twice, release, stop)', async () => {
  // Recorded by the code of commit 0a0fd64: one campaign, paused, resumed, braked and released (a batch that ended
  // after the hold asked for it again), continued as new, then stopped.
  const runs = ['before-folded-controls.run-1.json', 'before-folded-controls.run-2.json'].map((file) =>
    temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(__dirname, 'histories', file), 'utf8'))),
  );
  const activities = runs.flatMap((h) => (h.events ?? []).map((e) => localActivityOf(e)).filter(Boolean));
  expect(activities.join(',')).toContain('awaitQuiet,settleLeases,recordStatus');
  expect(activities.join(',')).toContain('settleLeases,holdForBrake,settleLeases,holdForBrake');
  for (const history of runs) await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, 'campaign-recorded');
});

test('histories of a stop and a delete mid-send recorded before their fence answered them replay', async () => {
  // Recorded by the code of commit 755a546: the fence, then the answer and the report, each its own local activity.
  for (const action of ['stop', 'delete']) {
    const file = path.join(__dirname, 'histories', `before-stop-answered-with-fence.${action}.json`);
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(file, 'utf8')));
    const activities = (history.events ?? []).map((e) => localActivityOf(e)).filter(Boolean);
    expect(activities.join(',')).toContain('fence,answerStop,saveReport,markUnsent');
    await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, `campaign-recorded-${action}`);
  }
});

test('a history of a pause and a brake mid-send recorded before their first look wrote the hold replays', async () => {
  // Recorded by the code of commit 93d636f: paused, resumed, braked, released, then stopped (answered by its fence).
  const file = path.join(__dirname, 'histories', 'before-hold-written-by-its-look.json');
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(file, 'utf8')));
  const activities = (history.events ?? []).map((e) => localActivityOf(e)).filter(Boolean).join(',');
  expect(activities).toContain('fence,recordStatus');
  expect(activities).toContain('awaitQuiet,holdForBrake');
  expect(activities).toContain('fenceAndAnswer');
  await Worker.runReplayHistory({ workflowBundle: { codePath: workflowBundlePath() } }, history, 'campaign-recorded-held');
});
