/**
 * The account emergency brake and planned sends on a real Temporal server, checked as an operator would: what the
 * provider received and when, which campaigns moved, and whether the numbers add up.
 */
import type { Express } from 'express';
import pg from 'pg';
import { openStore } from '../../src/store';
import type { SandboxProvider } from '../../src/providers/sandbox';
import {
  api,
  campaignEnded,
  createTestDatabase,
  draftCampaign,
  eventually,
  historyLines,
  newAccount,
  notSentRecords,
  openTestStore,
  startHerald,
  type TestHerald,
} from '../helpers';

const EMAIL = [{ channel: 'email', subject: 'Hi {{ contact.id }}', body: 'Body' }];

/** Imports `n` email contacts in their own group and creates a Draft for that group; returns its id. */
async function draft(app: Express, key: string, group: string, n: number): Promise<string> {
  const people = Array.from({ length: n }, (_, i) => ({ id: `${group}-${i + 1}`, email: `${group}-${i + 1}@example.com`, attributes: { group } }));
  await api(app, key).post('/v1/contacts', { contacts: people }).expect(200);
  return draftCampaign(app, key, { type: 'filter', all: [{ attribute: 'group', op: 'eq', value: group }] }, { name: group, channels: EMAIL });
}

/** Waits until the provider has accepted at least `n` messages of the campaign. */
function receivedAtLeast(sandbox: SandboxProvider, id: string, n: number) {
  return eventually(async () => (sandbox.forCampaign(id).length >= n ? true : undefined), 60_000, 20);
}

/** Polls a campaign until `check` holds for it; returns it as GET returns it. */
function campaignWhen(app: Express, key: string, id: string, check: (c: { status: string; heldByBrake: boolean }) => boolean) {
  return eventually(async () => {
    const res = await api(app, key).get(`/v1/campaigns/${id}`);
    return check(res.body) ? res.body : undefined;
  });
}

/** A new account sending a campaign of `n` emails to a group of its own; its API calls and the campaign's id. */
async function sending(herald: TestHerald, group: string, n: number) {
  const a = await newAccount(herald.store, group);
  const http = api(herald.app, a.apiKey);
  const id = await draft(herald.app, a.apiKey, group, n);
  await http.post(`/v1/campaigns/${id}/send`).expect(202);
  return { a, http, id };
}

/** Waits for campaign `id` to end; then all `n` were sent, the provider has each once, and nothing is pending or in doubt. */
async function finishedExactly(herald: TestHerald, apiKey: string, id: string, n: number): Promise<void> {
  expect((await campaignEnded(herald.app, apiKey, id)).counts).toMatchObject({ planned: n, sent: n, pending: 0, inDoubt: 0 });
  expect(herald.sandbox.forCampaign(id)).toHaveLength(n);
  expect(herald.sandbox.duplicates()).toBe(0);
}

/**
 * Runs `check`; if it fails, the error comes again with what explains it: the brake's answers (which campaigns each
 * reached) and the campaign's workflow history.
 */
async function explained<T>(herald: TestHerald, id: string, answers: Record<string, unknown>, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbrake answers: ${JSON.stringify(answers)}\nhistory:\n${await historyLines(herald.client, id)}`, { cause: err });
  }
}

describe('account emergency brake (postgres store)', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    // 100 ms per provider call of 50 messages: a 2,000-recipient campaign sends for about two seconds.
    herald = await startHerald({
      title: 'brake',
      store: await openTestStore('postgres'),
      sandbox: { latencyMs: 100 },
      sendOptions: { batchSize: 100, concurrency: 2 },
    });
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  test('brake on holds every sending campaign of the account at once, leaves other accounts alone, keeps a scheduled one from starting; off resumes exactly what it held', async () => {
    const { app, sandbox } = herald;
    const a = await newAccount(herald.store, 'A');
    const b = await newAccount(herald.store, 'B');
    const httpA = api(app, a.apiKey);
    const httpB = api(app, b.apiKey);
    const N = 2_000;
    const sending = [await draft(app, a.apiKey, 'a1', N), await draft(app, a.apiKey, 'a2', N), await draft(app, a.apiKey, 'a3', N)];
    const byHand = await draft(app, a.apiKey, 'a4', N);
    const scheduled = await draft(app, a.apiKey, 'a5', 300);
    const other = await draft(app, b.apiKey, 'b1', N);
    const late = await draft(app, a.apiKey, 'a6', 100);

    await httpA.post(`/v1/campaigns/${byHand}/send`).expect(202);
    await receivedAtLeast(sandbox, byHand, 100);
    await httpA.post(`/v1/campaigns/${byHand}/pause`).expect(200);
    const scheduledAt = Date.now() + 3_000;
    await httpA.post(`/v1/campaigns/${scheduled}/schedule`, { at: new Date(scheduledAt).toISOString() }).expect(202);
    for (const id of sending) await httpA.post(`/v1/campaigns/${id}/send`).expect(202);
    await httpB.post(`/v1/campaigns/${other}/send`).expect(202);
    for (const id of sending) await receivedAtLeast(sandbox, id, 200);

    const requestedAt = Date.now();
    const on = await httpA.post('/v1/account/brake', { on: true });
    const answeredAt = Date.now();
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ on: true, by: a.keyId, errors: [] });
    expect([...on.body.campaigns].sort()).toEqual([...sending].sort());

    // Nothing of account A reaches the provider after the response, now or two seconds later; B goes on sending.
    const ofA = [...sending, byHand, scheduled, late];
    await new Promise((r) => setTimeout(r, 2_000));
    const lateMessages = ofA.flatMap((id) => sandbox.forCampaign(id)).filter((m) => m.at > answeredAt);
    expect(lateMessages).toEqual([]);
    const lastOfA = Math.max(...sending.flatMap((id) => sandbox.forCampaign(id).map((m) => m.at)));
    console.log(`brake on: response in ${answeredAt - requestedAt} ms; last message of the account at the provider ${lastOfA - requestedAt} ms after the request`);
    expect(sandbox.forCampaign(other).some((m) => m.at > answeredAt)).toBe(true);

    // What the API shows: held campaigns Paused by the brake, the hand-paused one not, the brake's state.
    for (const id of sending) {
      const c = (await httpA.get(`/v1/campaigns/${id}`).expect(200)).body;
      expect(c).toMatchObject({ status: 'Paused', heldByBrake: true, brake: { on: true, by: a.keyId } });
      expect(c.counts.sent).toBeLessThan(N);
    }
    expect((await httpA.get(`/v1/campaigns/${byHand}`).expect(200)).body).toMatchObject({ status: 'Paused', heldByBrake: false });
    expect((await httpA.get('/v1/account/brake').expect(200)).body).toMatchObject({ on: true, by: a.keyId });
    expect((await httpB.get('/v1/account/brake').expect(200)).body).toMatchObject({ on: false });

    // New sends are refused with the reason; resuming by hand too. Nothing changed.
    const refused = await httpA.post(`/v1/campaigns/${late}/send`).expect(409);
    expect(refused.body.error.code).toBe('brake_on');
    expect(refused.body.error.message).toMatch(/emergency brake is on/);
    expect((await httpA.get(`/v1/campaigns/${late}`).expect(200)).body.status).toBe('Draft');
    expect((await httpA.post(`/v1/campaigns/${byHand}/resume`).expect(409)).body.error.code).toBe('brake_on');

    // The scheduled campaign's time passes: it does not start, it waits for the brake.
    await new Promise((r) => setTimeout(r, Math.max(0, scheduledAt + 1_500 - Date.now())));
    const held = await campaignWhen(app, a.apiKey, scheduled, (c) => c.heldByBrake);
    expect(held.status).toBe('Scheduled');
    expect(sandbox.forCampaign(scheduled)).toEqual([]);
    expect(sandbox.forCampaign(late)).toEqual([]);

    // Brake off: everything it held goes on and finishes, exactly once each; the hand-paused one stays paused.
    const off = await httpA.post('/v1/account/brake', { on: false }).expect(200);
    expect(off.body).toMatchObject({ on: false, by: a.keyId, errors: [] });
    expect([...off.body.campaigns].sort()).toEqual([...sending, scheduled].sort());
    for (const id of [...sending, scheduled]) {
      const done = await campaignEnded(app, a.apiKey, id);
      const size = id === scheduled ? 300 : N;
      expect(done.status).toBe('Finished');
      expect(done.counts).toMatchObject({ planned: size, sent: size, notSent: 0, failed: 0, pending: 0 });
      expect(new Set(sandbox.forCampaign(id).map((m) => m.contactId)).size).toBe(size);
      expect(sandbox.forCampaign(id)).toHaveLength(size);
    }
    expect((await campaignEnded(app, b.apiKey, other)).counts.sent).toBe(N);
    const stillPaused = (await httpA.get(`/v1/campaigns/${byHand}`).expect(200)).body;
    expect(stillPaused).toMatchObject({ status: 'Paused', heldByBrake: false });
    const pausedCount = stillPaused.counts.sent;
    await new Promise((r) => setTimeout(r, 500));
    expect(sandbox.forCampaign(byHand)).toHaveLength(pausedCount);
    // Resumed by hand, it finishes too.
    await httpA.post(`/v1/campaigns/${byHand}/resume`).expect(200);
    expect((await campaignEnded(app, a.apiKey, byHand)).counts).toMatchObject({ planned: N, sent: N });
    expect(sandbox.duplicates()).toBe(0);

    // Every switch is in the audit log, with who and what it reached.
    const audit = (await httpA.get('/v1/audit?limit=1000').expect(200)).body.items as { action: string; actor: string; detail: { campaigns: string[] } }[];
    const switches = audit.filter((e) => e.action.startsWith('account.brake'));
    expect(switches.map((e) => e.action).sort()).toEqual(['account.brake.off', 'account.brake.on']);
    expect(switches.every((e) => e.actor === a.keyId)).toBe(true);
  });

  test('a campaign the brake reaches at its next batch (its workflow never told) holds itself', async () => {
    const { app, sandbox, store } = herald;
    const { a, id } = await sending(herald, 'gate', 2_000);
    await receivedAtLeast(sandbox, id, 100);
    // The flag alone, as if the fan-out had not reached the workflow: the send batches check it themselves.
    const flippedAt = Date.now();
    await store.setBrake(a.accountId, true, 'test', new Date());
    const held = await explained(herald, id, {}, () => campaignWhen(app, a.apiKey, id, (c) => c.heldByBrake));
    expect(held.status).toBe('Paused');
    const count = sandbox.forCampaign(id).length;
    expect(count).toBeLessThan(2_000);
    // Batches already in flight when the flag flipped finish (at most concurrency x batch size), none after.
    expect(sandbox.forCampaign(id).filter((m) => m.at > flippedAt).length).toBeLessThanOrEqual(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(sandbox.forCampaign(id)).toHaveLength(count);
    await api(app, a.apiKey).post('/v1/account/brake', { on: false }).expect(200);
    expect((await campaignEnded(app, a.apiKey, id)).counts).toMatchObject({ planned: 2_000, sent: 2_000 });
    expect(sandbox.duplicates()).toBe(0);
  });
});

test('brake release: deliveries planned more than 7 days before it are notSent(brake_expired), newer ones are sent', async () => {
  const db = await createTestDatabase();
  const store = await openStore({ databaseUrl: db.url });
  const herald = await startHerald({ title: 'brake-expiry', store, sandbox: { latencyMs: 100 }, sendOptions: { batchSize: 50, concurrency: 1 } });
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const { app, sandbox } = herald;
    const { a, id } = await sending(herald, 'exp', 1_200);
    await receivedAtLeast(sandbox, id, 50);
    const on = await api(app, a.apiKey).post('/v1/account/brake', { on: true }).expect(200);

    // Age the held deliveries: a third planned 8 days ago, a third 6 days ago, the rest as they were.
    const aged = await sql.query<{ contact: string; age: string }>(
      `UPDATE deliveries d SET planned_at = now() - (CASE WHEN d.id % 3 = 0 THEN interval '8 days' ELSE interval '6 days' END)
       FROM contacts c WHERE c.pk = d.contact_pk AND d.campaign_id = $1 AND d.state = 'pending' AND d.id % 3 <> 2
       RETURNING c.id AS contact, CASE WHEN d.id % 3 = 0 THEN 'old' ELSE 'recent' END AS age`,
      [id],
    );
    const old = aged.rows.filter((r) => r.age === 'old').map((r) => r.contact).sort();
    expect(old.length).toBeGreaterThan(100);

    const off = await api(app, a.apiKey).post('/v1/account/brake', { on: false }).expect(200);
    const done = await campaignEnded(app, a.apiKey, id);
    await explained(herald, id, { on: on.body, off: off.body }, () => {
      // The switch reached the campaign both times: it was held, then released with the 7-day rule.
      expect([on.body.campaigns, off.body.campaigns]).toEqual([[id], [id]]);
      expect(done.counts).toMatchObject({ planned: 1_200, sent: 1_200 - old.length, notSent: old.length, failed: 0, pending: 0 });
    });

    // Exactly the old ones were not sent, each with one message.notSent(brake_expired); everyone else got one message.
    const { deliveries, events } = await notSentRecords(store, a.accountId, id);
    expect(deliveries).toEqual(old.map((c) => `email/${c}`));
    expect(events).toEqual(deliveries);
    const expired = await store.listEvents(a.accountId, { campaignId: id, type: 'message.notSent', limit: 1000 });
    expect(new Set(expired.items.map((e) => e.reason))).toEqual(new Set(['brake_expired']));
    const received = sandbox.forCampaign(id).map((m) => m.contactId);
    expect(received).toHaveLength(1_200 - old.length);
    expect(received.filter((c) => old.includes(c))).toEqual([]);
    expect(sandbox.duplicates()).toBe(0);
  } finally {
    await sql.end();
    await herald.stop();
    await store.close();
    await db.drop();
  }
});

test('brake on and at once off, three times mid-send: each release reaches the campaign the switch before it held, which then finishes exactly', async () => {
  // Four lanes of 50 at 50 ms a call of 10: batches are in flight at every switch, and end after the hold.
  const herald = await startHerald({ title: 'brake-flicker', store: await openTestStore('embedded'), sandbox: { latencyMs: 50 }, sendOptions: { batchSize: 50 }, chunkSize: 10 });
  try {
    const { sandbox } = herald;
    const { a, http, id } = await sending(herald, 'flicker', 1_500);
    const answers: unknown[] = [];
    for (let k = 1; k <= 3; k++) {
      await receivedAtLeast(sandbox, id, 100 * k);
      const on = await http.post('/v1/account/brake', { on: true }).expect(200);
      const off = await http.post('/v1/account/brake', { on: false }).expect(200);
      answers.push({ on: on.body, off: off.body });
      await explained(herald, id, { answers }, () => expect([on.body.campaigns, off.body.campaigns]).toEqual([[id], [id]]));
    }
    await finishedExactly(herald, a.apiKey, id, 1_500);
  } finally {
    await herald.stop();
    await herald.store.close();
  }
});

test('brake on while the worker is down: the answer names the campaign it could not reach; nothing is sent when the worker returns; release finishes it exactly', async () => {
  const herald = await startHerald({
    title: 'brake-worker-down',
    store: await openTestStore('embedded'),
    sandbox: { latencyMs: 100 },
    sendOptions: { batchSize: 100, concurrency: 2 },
    brakeAnswerWithinMs: 1_000,
  });
  try {
    const { app, sandbox } = herald;
    const { a, http, id } = await sending(herald, 'down', 2_000);
    await receivedAtLeast(sandbox, id, 200);
    await herald.stopWorker();
    const before = sandbox.forCampaign(id).length;

    const on = await http.post('/v1/account/brake', { on: true }).expect(200);
    expect(on.body.campaigns).toEqual([]);
    expect(on.body.errors.map((e: { campaignId: string }) => e.campaignId)).toEqual([id]);
    expect(on.body.ms).toBeLessThan(5_000);

    // The worker returns: the batches waiting for it find the flag on, and the campaign holds itself.
    await herald.startWorker();
    const held = await explained(herald, id, { on: on.body }, () => campaignWhen(app, a.apiKey, id, (c) => c.heldByBrake));
    expect(held.status).toBe('Paused');
    await new Promise((r) => setTimeout(r, 500));
    expect(sandbox.forCampaign(id)).toHaveLength(before);

    const off = await http.post('/v1/account/brake', { on: false }).expect(200);
    expect(off.body.campaigns).toEqual([id]);
    await finishedExactly(herald, a.apiKey, id, 2_000);
  } finally {
    await herald.stop();
    await herald.store.close();
  }
});

describe('planned sends (embedded store)', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    herald = await startHerald({
      title: 'planned',
      store: await openTestStore('embedded'),
      sandbox: { latencyMs: 100 },
      sendOptions: { batchSize: 100, concurrency: 2 },
    });
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  test('lists what is sending and scheduled ("show planned also"); deleting one ends it: nothing sent after, unsent notSent(deleted), gone from the lists', async () => {
    const { app, sandbox, store } = herald;
    const a = await newAccount(store, 'planner');
    const http = api(app, a.apiKey);
    const sendingId = await draft(app, a.apiKey, 'p1', 3_000);
    const scheduledId = await draft(app, a.apiKey, 'p2', 200);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    await http.post(`/v1/campaigns/${scheduledId}/schedule`, { at }).expect(202);
    await http.post(`/v1/campaigns/${sendingId}/send`).expect(202);
    await receivedAtLeast(sandbox, sendingId, 200);

    const planned = (await http.get('/v1/planned').expect(200)).body.items as { id: string; status: string; nextPlannedAt: string; counts: { planned: number } }[];
    expect(planned.map((p) => [p.id, p.status])).toEqual([
      [sendingId, 'Sending'],
      [scheduledId, 'Scheduled'],
    ]);
    expect(planned[0]!.counts.planned).toBe(3_000);
    expect(Date.parse(planned[0]!.nextPlannedAt)).toBeLessThanOrEqual(Date.now());
    expect(planned[1]!.nextPlannedAt).toBe(at);
    const inProgress = (await http.get('/v1/planned?scheduled=false').expect(200)).body.items as { id: string }[];
    expect(inProgress.map((p) => p.id)).toEqual([sendingId]);
    expect((await http.get('/v1/planned?scheduled=maybe').expect(400)).body.error.message).toMatch(/scheduled/);

    // A wrong confirmation changes nothing.
    expect((await http.delete(`/v1/planned/${sendingId}?confirmation=nope`).expect(422)).body.error.code).toBe('confirmation_mismatch');
    expect((await http.get(`/v1/campaigns/${sendingId}`).expect(200)).body.status).toBe('Sending');

    const res = await http.delete(`/v1/planned/${sendingId}?confirmation=${sendingId}`).expect(200);
    const answeredAt = Date.now();
    expect(res.body).toMatchObject({ action: 'delete', from: 'Sending' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sandbox.forCampaign(sendingId).filter((m) => m.at > answeredAt)).toEqual([]);
    const deleted = (await http.get(`/v1/campaigns/${sendingId}`).expect(200)).body;
    expect(deleted.status).toBe('Stopped');
    expect(deleted.deletedAt).not.toBeNull();
    const sent = sandbox.forCampaign(sendingId).length;
    expect(deleted.counts).toMatchObject({ planned: 3_000, sent, notSent: 3_000 - sent, pending: 0, inDoubt: 0 });
    // The records follow the answer; the report says when they are all written.
    await eventually(async () => ((await http.get(`/v1/campaigns/${sendingId}/report`).expect(200)).body.completedAt ? true : undefined));
    const records = await notSentRecords(store, a.accountId, sendingId);
    expect(records.deliveries).toHaveLength(3_000 - sent);
    expect(records.events).toEqual(records.deliveries);
    const reasons = await store.listDeliveries(sendingId, { state: 'notSent', limit: 1000 });
    expect(new Set(reasons.items.map((d) => d.reason))).toEqual(new Set(['deleted']));

    // A scheduled one: nothing is sent, everyone is notSent(deleted).
    const cancelled = await http.delete(`/v1/planned/${scheduledId}?confirmation=${scheduledId}`).expect(200);
    expect(cancelled.body).toMatchObject({ action: 'delete', from: 'Scheduled', counts: { planned: 200, notSent: 200, sent: 0 } });
    expect((await http.get(`/v1/campaigns/${scheduledId}`).expect(200)).body.status).toBe('Cancelled');
    expect(sandbox.forCampaign(scheduledId)).toEqual([]);

    // Gone from the planned list and the campaign list (the numbers of sending analytics); still readable by id.
    expect((await http.get('/v1/planned').expect(200)).body.items).toEqual([]);
    expect((await http.get('/v1/campaigns').expect(200)).body.items).toEqual([]);
    const all = (await http.get('/v1/campaigns?includeDeleted=true').expect(200)).body.items as { id: string }[];
    expect(all.map((c) => c.id).sort()).toEqual([sendingId, scheduledId].sort());
    expect((await http.delete(`/v1/planned/${sendingId}?confirmation=${sendingId}`).expect(409)).body.error.message).toMatch(/Stopped/);
    const audit = (await http.get('/v1/audit?limit=1000').expect(200)).body.items as { action: string; result: string }[];
    expect(audit.filter((e) => e.action === 'campaign.delete').map((e) => e.result).sort()).toEqual(['ok', 'ok', 'refused', 'refused']);
  });
});
