/**
 * The operator console in headless Chromium against a running Herald: an operator signs in with an API key,
 * sends a campaign and watches it move, pauses and resumes it, stops it by typing its id (a wrong id changes
 * nothing), reads the report panel and the exact counts, deletes a planned send, and pulls and releases the
 * emergency brake. Screenshots of each screen go to test-artifacts/console/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { consoleRoutes } from '../../src/api/console';
import { api, draftCampaign, eventually, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'test-artifacts', 'console');
/** Debian's Chromium (npm test's pretest installs it when missing); playwright-core downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** How long the console may take to show something it should (it polls every second; the machine may be busy). */
const SHOWN_WITHIN = 20_000;
/** The console's alarm red (--red), as computed styles write it. */
const RED = 'rgb(200, 16, 46)';

let herald: TestHerald;
let browser: Browser;
let page: Page;
let base: string;
let key: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-console.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`console build failed: ${built.stderr}`);
  mkdirSync(SHOTS, { recursive: true });
  const store = await openTestStore('postgres');
  // 10 messages per provider call of 150 ms, one batch at a time: under 70 messages a second, so a campaign of
  // 4,000 sends for about a minute, time enough to watch it and stop it mid-send even on a busy machine.
  herald = await startHerald({ title: 'console', store, sandbox: { latencyMs: 150 }, chunkSize: 10, sendOptions: { batchSize: 50, concurrency: 1 } });
  ({ apiKey: key } = await newAccount(store, 'Console'));
  const server = herald.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(SHOWN_WITHIN);
});

afterAll(async () => {
  await browser?.close();
  await close?.();
  await herald?.stop();
  await herald?.store.close();
});

/** Polls `read` until `ok` holds for its value; returns that value (fails the test after SHOWN_WITHIN). */
function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  return eventually(async () => {
    const value = await read();
    return ok(value) ? value : undefined;
  }, SHOWN_WITHIN, 100);
}

/** An element's computed background colour (runs in the page). */
const backgroundOf = (el: unknown) =>
  (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor;
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const statusShown = () => page.locator('.campaign .title-row [data-status]').getAttribute('data-status');
const progressShown = async () => Number(await page.getByRole('progressbar').first().getAttribute('aria-valuenow'));
/** The numbers of one row of a counts table, by column. */

async function countsShown(table: string, row: string): Promise<Record<string, number>> {
  const cells = page.locator(`table[aria-label="${table}"] tr[data-row="${row}"] td`);
  const out: Record<string, number> = {};
  for (const cell of await cells.all()) {
    out[(await cell.getAttribute('data-count'))!] = Number((await cell.innerText()).replace(/,/g, ''));
  }
  return out;
}

function people(n: number, group: string) {
  return Array.from({ length: n }, (_, i) => ({ id: `${group}${i + 1}`, email: `${group}${i + 1}@example.com`, attributes: { group } }));
}

async function draftFor(group: string, n: number, name: string): Promise<string> {
  const http = api(herald.app, key);
  await http.post('/v1/contacts', { contacts: people(n, group) }).expect(200);
  return draftCampaign(herald.app, key, { type: 'filter', all: [{ attribute: 'group', op: 'eq', value: group }] }, {
    name,
    channels: [{ channel: 'email', subject: 'Hello {{ contact.id }}', body: 'Spring is here' }],
  });
}

test('an operator sends a campaign from the console, watches it, stops it by typing its id, reads the report, and pulls the brake', async () => {
  const http = api(herald.app, key);

  // Sign in: a wrong key is refused in words; the right one opens the campaign list.
  await page.goto(`${base}/console`);
  await page.getByLabel('API key').fill('hk_not_a_key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'This API key was not accepted' }).waitFor();
  await shot('01-sign-in-refused');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor();

  // Campaigns made through the API appear in the list as it polls: a small one that finishes, a big one, a scheduled one.
  const small = await draftFor('small', 20, 'Welcome series');
  await http.post(`/v1/campaigns/${small}/send`).expect(202);
  const big = await draftFor('big', 4_000, 'Spring sale');
  const later = await draftFor('later', 30, 'Autumn teaser');
  await http.post(`/v1/campaigns/${later}/schedule`, { at: new Date(Date.now() + 86_400_000).toISOString() }).expect(202);
  await page.locator(`tr[data-campaign="${big}"]`).waitFor();
  await page.locator(`tr[data-campaign="${small}"] [data-status="Finished"]`).waitFor();

  // Send the big one from its page and watch the progress bar move.
  await page.locator(`tr[data-campaign="${big}"]`).getByRole('link', { name: 'Spring sale' }).click();
  await page.getByRole('heading', { name: 'Spring sale' }).waitFor();
  expect(await statusShown()).toBe('Draft');
  await page.getByRole('button', { name: 'Send now' }).click();
  await until(statusShown, (s) => s === 'Sending');
  expect(await page.getByRole('link', { name: /Temporal Web UI/ }).getAttribute('href')).toBe(
    `http://127.0.0.1:8233/namespaces/default/workflows/campaign-${big}`,
  );
  const first = await until(progressShown, (p) => p > 0);
  const later1 = await until(progressShown, (p) => p > first);
  expect(later1).toBeGreaterThan(first);
  await page.getByText('ETA').waitFor();
  await shot('02-campaign-sending');

  // Pause: the campaign is Paused and the list shows the pause icon beside its send time; resume sends again.
  await page.getByRole('button', { name: 'Pause' }).click();
  await until(statusShown, (s) => s === 'Paused');
  expect((await http.get(`/v1/campaigns/${big}`).expect(200)).body.status).toBe('Paused');
  await page.getByRole('link', { name: 'Campaigns', exact: true }).first().click();
  await page.locator(`tr[data-campaign="${big}"] .send-time`).getByRole('img', { name: 'Paused' }).waitFor();
  await shot('03-campaigns-paused');
  await page.getByRole('link', { name: 'Spring sale' }).click();
  await page.getByRole('button', { name: 'Resume' }).click();
  await until(statusShown, (s) => s === 'Sending');

  // The list, filtered to what is sending, shows the big campaign only, its bar moving.
  await page.getByRole('link', { name: 'Campaigns', exact: true }).first().click();
  await page.getByLabel('Filter by status').selectOption('Sending');
  await until(() => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-campaign'))), (ids) => ids.length === 1 && ids[0] === big);
  await page.getByLabel('Filter by status').selectOption('');
  await page.locator(`tr[data-campaign="${later}"]`).waitFor();
  await shot('04-campaigns-sending');

  // Planned sends: the scheduled one shows only with "show planned also"; a wrong id does not delete it, the right one does.
  await page.getByRole('link', { name: 'Planned sends' }).click();
  await page.locator(`tr[data-campaign="${big}"]`).waitFor();
  expect(await page.locator(`tr[data-campaign="${later}"]`).count()).toBe(0);
  await page.getByLabel('show planned also').check();
  const laterRow = page.locator(`tr[data-campaign="${later}"]`);
  await laterRow.waitFor();
  await shot('05-planned');
  await laterRow.getByRole('button', { name: 'Delete…' }).click();
  const deleteDialog = page.getByRole('dialog', { name: 'Delete planned campaign' });
  await deleteDialog.getByRole('textbox').fill(big);
  await deleteDialog.getByRole('button', { name: 'Delete' }).click();
  await deleteDialog.getByRole('alert').filter({ hasText: 'does not match' }).waitFor();
  expect((await http.get(`/v1/campaigns/${later}`).expect(200)).body).toMatchObject({ status: 'Scheduled', deletedAt: null });
  expect((await http.get(`/v1/campaigns/${big}`).expect(200)).body.status).toBe('Sending');
  await deleteDialog.getByRole('textbox').fill(later);
  await deleteDialog.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('Deleted Autumn teaser').waitFor();
  await laterRow.waitFor({ state: 'detached' });
  expect((await http.get(`/v1/campaigns/${later}`).expect(200)).body.status).toBe('Cancelled');

  // Stop delivery: a wrong id changes nothing; the right one stops it and the report panel lists the steps.
  await page.locator(`tr[data-campaign="${big}"]`).getByRole('link', { name: 'Spring sale' }).click();
  await until(statusShown, (s) => s === 'Sending');
  await page.getByRole('button', { name: 'Stop delivery' }).click();
  const stopDialog = page.getByRole('dialog', { name: 'Stop delivery' });
  await stopDialog.getByRole('textbox').fill(`${big}x`);
  await stopDialog.getByRole('button', { name: 'Stop delivery' }).click();
  await stopDialog.getByRole('alert').filter({ hasText: 'does not match' }).waitFor();
  await shot('06-stop-wrong-id');
  const meanwhile = (await http.get(`/v1/campaigns/${big}`).expect(200)).body;
  expect(meanwhile.status).toBe('Sending');
  expect(meanwhile.counts.pending).toBeGreaterThan(0);
  await stopDialog.getByRole('textbox').fill(big);
  await stopDialog.getByRole('button', { name: 'Stop delivery' }).click();
  await page.getByRole('region', { name: 'Report' }).waitFor();
  await until(statusShown, (s) => s === 'Stopped');
  // The stop answered at once; the page follows the records written after the answer until every step is done.
  await page.getByText(/every step done at/).waitFor({ timeout: 30_000 });

  const stopped = (await http.get(`/v1/campaigns/${big}`).expect(200)).body;
  const report = (await http.get(`/v1/campaigns/${big}/report`).expect(200)).body as { steps: { step: string; at: string }[]; counts: Record<string, number> };
  expect(stopped.status).toBe('Stopped');
  const c = stopped.counts;
  expect(c.sent).toBeGreaterThan(0);
  expect(c.notSent).toBeGreaterThan(0);
  expect(c.sent + c.notSent + c.failed + c.inDoubt).toBe(c.planned);
  expect(c.planned).toBe(4_000);
  // The page shows the exact counts the API has, in total and for the channel (receipt counts too), and in the
  // report panel.
  expect(await countsShown('Counts per channel', 'total')).toEqual(c);
  expect(await countsShown('Counts per channel', 'email')).toEqual(stopped.byChannel.email);
  expect(await countsShown('Counts after the report', 'total')).toEqual(report.counts);
  // Each step of the report, with its time.
  const steps = page.getByRole('region', { name: 'Report' }).locator('li[data-step]');
  const shown = await steps.evaluateAll((items) => items.map((li) => ({ step: li.getAttribute('data-step'), at: li.querySelector('time')?.getAttribute('datetime') })));
  expect(shown).toEqual(expect.arrayContaining(report.steps.map((s) => ({ step: s.step, at: s.at }))));
  expect(shown).toHaveLength(report.steps.length);
  expect(shown.map((s) => s.step)).toEqual(expect.arrayContaining(['in_flight_aborted', 'not_sent_written', 'final_counts']));
  await page.getByText('Delivery stopped').waitFor();
  // Most of it was notSent: the bar says how much was sent, not a bare "100%"; the report names the key, not its id.
  const label = await page.locator('.progress .pct').innerText();
  expect(label).toBe(`${Math.floor((c.sent / c.planned) * 1000) / 10}% sent · 100% handled`);
  expect(await page.getByRole('region', { name: 'Report' }).locator('.key-name').innerText()).toBe('default');
  await shot('07-stopped-report');
  // The page's address can be reloaded or shared: the same campaign, its report, still signed in (this tab).
  await page.reload();
  await page.getByRole('region', { name: 'Report' }).locator('li[data-step="final_counts"]').waitFor();
  expect(new URL(page.url()).pathname).toBe(`/console/campaigns/${big}`);

  // The emergency brake: one switch, on with since when, then off.
  const brakeSwitch = page.getByRole('switch', { name: 'Emergency brake' });
  expect(await brakeSwitch.getAttribute('aria-checked')).toBe('false');
  // Off is the normal state: drawn in grey, not in the alarm red the switch turns when it is on.
  const knobColour = () => brakeSwitch.locator('.knob').evaluate(backgroundOf);
  const barColour = () => page.locator('section.brake').evaluate(backgroundOf);
  expect(await knobColour()).not.toBe(RED);
  expect(await barColour()).toBe('rgb(255, 255, 255)');
  await brakeSwitch.click();
  await until(() => brakeSwitch.getAttribute('aria-checked'), (v) => v === 'true');
  expect(await barColour()).toBe(RED);
  expect(await page.locator('.brake-state').innerText()).toContain('(by default)');
  const brakeOn = (await http.get('/v1/account/brake').expect(200)).body;
  expect(brakeOn.on).toBe(true);
  const since = /since (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)/.exec(await page.locator('.brake-state').innerText());
  expect(since).not.toBeNull();
  const [, y, mo, d, h, mi, s] = since!.map(Number);
  expect(new Date(y!, mo! - 1, d, h, mi, s).getTime()).toBe(Math.floor(Date.parse(brakeOn.since) / 1000) * 1000);
  // While it is on, sending is refused, and the console says so in words.
  await page.getByRole('link', { name: 'Campaigns', exact: true }).first().click();
  const copyOf = (await http.post(`/v1/campaigns/${big}/copy`).expect(201)).body.id as string;
  await page.locator(`tr[data-campaign="${copyOf}"]`).getByRole('link').click();
  await page.getByRole('button', { name: 'Send now' }).click();
  await page.getByRole('alert').filter({ hasText: "emergency brake is on" }).waitFor();
  expect((await http.get(`/v1/campaigns/${copyOf}`).expect(200)).body.status).toBe('Draft');
  await shot('08-brake-on');
  await brakeSwitch.click();
  await until(() => brakeSwitch.getAttribute('aria-checked'), (v) => v === 'false');
  expect((await http.get('/v1/account/brake').expect(200)).body.on).toBe(false);
  await page.getByText('Emergency brake OFF').waitFor();
});

test('the whole job in the console: import contacts from CSV, build an audience with an any group, write a campaign with a live preview and send it, set a provider and test it, make and revoke a key, read the audit log', async () => {
  const http = api(herald.app, key);
  await page.goto(`${base}/console/contacts`);
  await page.locator('h1').first().waitFor();
  if ((await page.locator('h1').first().innerText()) === 'Herald console') {
    await page.getByLabel('API key').fill(key); // this test run alone: sign in first
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('heading', { name: 'Contacts', exact: true }).waitFor();

  // CSV import: three good rows and one with a bad email; the good ones are imported, the bad one listed by line.
  const csv = ['id,email,phone,timezone,plan,country', 'ada,ada@example.com,+14155550101,Europe/Warsaw,pro,PL', 'ben,ben@example.com,+14155550102,Europe/Berlin,pro,DE',
    'cyd,not-an-email,,,pro,FR', 'dot,dot@example.com,,,free,PL'].join('\n');
  await page.getByRole('region', { name: 'Import contacts' }).getByRole('textbox').fill(csv);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Done: 4 of 4 rows read, 3 imported, 1 refused' }).waitFor();
  const refused = page.locator('table[aria-label="Refused rows"] tr[data-line="4"]');
  expect(await refused.locator('td').allInnerTexts()).toEqual(['4', 'cyd', 'email', expect.stringMatching(/email/i)]);
  expect((await http.get('/v1/contacts/ada').expect(200)).body).toMatchObject({ email: 'ada@example.com', timezone: 'Europe/Warsaw', attributes: { plan: 'pro', country: 'PL' } });
  await http.get('/v1/contacts/cyd').expect(404);
  await shot('10-contacts-import');

  // Search, and a suppression switched on for one channel of one contact.
  await page.getByLabel('Search').fill('ada@');
  await page.locator('tr[data-contact="ada"]').waitFor();
  await until(() => page.locator('table.contacts tbody tr').count(), (n) => n === 1);
  await page.getByLabel('ada suppressed on sms').check();
  await until(async () => (await http.get('/v1/contacts/ada').expect(200)).body.suppressed, (s: string[]) => s.length === 1 && s[0] === 'sms');
  expect((await http.get('/v1/contacts/ada').expect(200)).body).toMatchObject({ email: 'ada@example.com', attributes: { plan: 'pro' } });
  await shot('11-contacts-search');

  // An audience: plan is pro, and country PL or DE.
  await page.getByRole('link', { name: 'Audiences' }).click();
  const form = page.getByRole('form', { name: 'New audience' });
  await form.getByLabel('Name').fill('Pro in PL or DE');
  const first = form.getByRole('group', { name: 'All condition 1' });
  await first.getByLabel('Attribute').fill('plan');
  await first.getByLabel('Value').fill('pro');
  await form.getByRole('button', { name: '+ Any-of group' }).click();
  const g1 = form.getByRole('group', { name: 'Group 1 condition 1' });
  await g1.getByLabel('Attribute').fill('country');
  await g1.getByLabel('Value').fill('PL');
  const g2 = form.getByRole('group', { name: 'Group 1 condition 2' });
  await g2.getByLabel('Attribute').fill('country');
  await g2.getByLabel('Value').fill('DE');
  await form.getByRole('button', { name: 'Create audience' }).click();
  await page.getByRole('status').filter({ hasText: 'Created Pro in PL or DE: 2 contact(s)' }).waitFor();
  await page.getByText('plan is "pro" and (country is "PL" or country is "DE")').waitFor();
  await shot('12-audience-any-group');

  // A new campaign with a live preview for a chosen contact, sent from the editor.
  await page.getByRole('link', { name: 'Campaigns', exact: true }).first().click();
  await page.getByRole('link', { name: 'New campaign' }).click();
  await page.getByRole('heading', { name: 'New campaign' }).waitFor();
  await page.getByLabel('Name').fill('Pro spring note');
  await page.getByLabel('Audience').selectOption({ label: 'Pro in PL or DE (filter)' });
  await page.getByLabel('Subject (email)').fill('Hi {{ contact.id }}, spring for {{ contact.plan }}');
  await page.getByLabel('Body (email)').fill('Hello {{ contact.id }} in {{ contact.country }}');
  await page.getByLabel('sms', { exact: true }).check();
  await page.getByLabel('Body (sms)').fill('Spring {{ contact.id }}');
  await page.getByLabel('For contact').fill('ada');
  const preview = page.getByRole('complementary', { name: 'Preview' });
  await preview.locator('[data-preview="email"] .subject').filter({ hasText: 'Hi ada, spring for pro' }).waitFor();
  expect(await preview.locator('[data-preview="email"] .body').innerText()).toBe('Hello ada in PL');
  // It follows the typing.
  await page.getByLabel('Body (sms)').fill('Spring is here, {{ contact.id }}');
  await preview.locator('[data-preview="sms"] .body').filter({ hasText: 'Spring is here, ada' }).waitFor();
  await page.getByLabel('Recipient-local time of day (optional)').fill('');
  await page.getByLabel('Throttle').check();
  await page.getByLabel('Messages per period').fill('100');
  await shot('13-campaign-editor');
  await page.getByLabel('Send', { exact: true }).selectOption('now');
  await page.getByRole('button', { name: 'Save and send now' }).click();
  await page.getByRole('heading', { name: 'Pro spring note' }).waitFor();
  const id = new URL(page.url()).pathname.split('/').pop()!;
  await until(statusShown, (st) => st === 'Finished');
  const sent = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
  expect(sent).toMatchObject({ name: 'Pro spring note', throttle: { limit: 100, periodSeconds: 60 }, localTime: null });
  // ada is suppressed on sms: 2 emails and 1 sms sent, ada's sms notSent.
  expect(sent.byChannel.email).toMatchObject({ planned: 2, sent: 2 });
  expect(sent.byChannel.sms).toMatchObject({ planned: 2, sent: 1, notSent: 1 });
  expect(herald.sandbox.forCampaign(id).map((m) => `${m.channel}:${m.contactId}`).sort()).toEqual(['email:ada', 'email:ben', 'sms:ben']);
  await shot('14-campaign-sent-from-editor');

  // Edit a draft: a copy opens in the editor with its content, saved with a new name.
  await page.getByRole('button', { name: 'Copy as draft' }).click();
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Name').fill('Pro spring note, take two');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.getByRole('heading', { name: 'Pro spring note, take two' }).waitFor();
  expect(await statusShown()).toBe('Draft');

  // A provider for sms, and a test send through it.
  await page.getByRole('link', { name: 'Providers' }).click();
  const sms = page.getByRole('region', { name: 'sms provider' });
  await sms.getByLabel('sms config').fill('{ "latencyMs": 1 }');
  await sms.getByRole('button', { name: 'Save' }).click();
  await sms.getByRole('status').filter({ hasText: 'Saved: sms sends through sandbox' }).waitFor();
  await sms.getByLabel('sms test recipient').fill('+14155550100');
  await sms.getByRole('button', { name: 'Send a test' }).click();
  await sms.getByRole('status').filter({ hasText: 'The provider accepted the test message' }).waitFor();
  expect((await http.get('/v1/providers').expect(200)).body).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'sms', kind: 'sandbox', config: { latencyMs: 1 } })]));
  await shot('15-providers');

  // An API key: shown once, works, then revoked.
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Name').fill('Ops console');
  await page.getByRole('button', { name: 'Create key' }).click();
  const newKey = (await page.getByLabel('New key').innerText()).trim();
  expect(newKey).toMatch(/^hk_/);
  await request(herald.app).get('/v1/campaigns').set('Authorization', `Bearer ${newKey}`).expect(200);
  await shot('16-key-created');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  expect(await page.getByLabel('New key').count()).toBe(0);
  await page.getByRole('button', { name: 'Revoke Ops console' }).click();
  await page.locator('tr.revoked').filter({ hasText: 'Ops console' }).waitFor();
  await request(herald.app).get('/v1/campaigns').set('Authorization', `Bearer ${newKey}`).expect(401);

  // The audit log names who did each of these, by key name, page by page.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.locator('tr[data-action]').first().waitFor();
  while ((await page.locator(`tr[data-action="key.revoke"]`).count()) === 0 && (await page.getByRole('button', { name: 'Next →' }).isEnabled())) {
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForTimeout(300);
  }
  const revoke = page.locator('tr[data-action="key.revoke"]').last();
  await revoke.waitFor();
  expect(await revoke.locator('td').nth(1).innerText()).toBe('default');
  await shot('17-audit-log');
});

test('the console is served at /console without a key, its pages reload, and a missing build says how to build it', async () => {
  const page = await request(herald.app).get('/console/campaigns/cmp_anything').expect(200);
  expect(page.type).toBe('text/html');
  const script = /src="(\/console\/app\.js\?v=[0-9a-f]+)"/.exec(page.text)?.[1];
  expect(script).toBeDefined();
  await request(herald.app).get(script!).expect(200).expect('Content-Type', /javascript/);
  // A file the page does not have is a 404, not the page; the API itself still needs a key.
  expect((await request(herald.app).get('/console/old-build.js').expect(404)).body.error.code).toBe('not_found');
  await request(herald.app).get('/v1/campaigns').expect(401);
  // Browsers ask for an icon on their own, without a key: it is Herald's, not a 401.
  const icon = await request(herald.app).get('/favicon.ico').expect(200).expect('Content-Type', /image\/svg\+xml/);
  expect(String(icon.body)).toContain('<svg');
  expect(page.text).toContain('href="/console/favicon.svg"');
  await request(herald.app).get('/console/favicon.svg').expect(200).expect('Content-Type', /image\/svg\+xml/);

  const unbuilt = express().use('/console', consoleRoutes(path.join(ROOT, 'test-artifacts', 'no-such-build')));
  const res = await request(unbuilt).get('/console').expect(503);
  expect(res.text).toContain('node scripts/build-console.mjs');
});

test('the API reference at /docs renders the document in the browser, with nothing loaded from another origin', async () => {
  const res = await request(herald.app).get('/docs').expect(200);
  expect(res.type).toBe('text/html');
  expect(res.text).not.toMatch(/https?:\/\//);
  const docs = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const elsewhere: string[] = [];
  docs.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) elsewhere.push(r.url());
  });
  try {
    await docs.goto(`${base}/docs`);
    await docs.getByRole('heading', { name: 'Herald API' }).first().waitFor({ timeout: SHOWN_WITHIN });
    await docs.getByText('List contacts by cursor').first().waitFor({ timeout: SHOWN_WITHIN });
    // A collapsed tag opens on click and lists its operations by their summaries.
    await docs.getByRole('button', { name: /campaigns/ }).first().click();
    await docs.getByText('Pause a Sending campaign', { exact: false }).first().waitFor({ timeout: SHOWN_WITHIN });
    await docs.screenshot({ path: path.join(SHOTS, '20-api-reference.png') });
    expect(elsewhere).toEqual([]);
  } finally {
    await docs.close();
  }
});
