/**
 * The production worker: `npm run build` compiles it to dist/ with a prebuilt workflow bundle, and `node
 * dist/worker.js` (what `npm run worker` and the Docker image run, no tsx, no bundling at start) sends a small
 * campaign on PostgreSQL through the webhook provider to a local sink; `node dist/api/server.js` saves a campaign,
 * its template checked in a worker thread as in production.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, stopProcess } from '../../src/cli/temporal';
import { openStore, type Store } from '../../src/store';
import { startSink, type Sink } from '../helpers/sink';
import { workerLaunch } from '../helpers/worker-launch';
import { api, campaignEnded, contacts, createTestDatabase, draftCampaign, newAccount, startApi, temporalAddress, NO_RECEIPTS } from '../helpers';

const ROOT = path.resolve(__dirname, '../..');

/** Starts `node [nodeArgs] <file>` (compiled, no tsx) with `env`; resolves once it has printed a line starting with `ready`. */
function compiled(file: string, env: Record<string, string>, ready: string, nodeArgs: string[] = []): Promise<ChildProcess> {
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [...nodeArgs, file], { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith(ready)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready:\n${output.slice(-3000)}`)));
  });
}

describe('the compiled worker', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let sink: Sink;
  let herald: Awaited<ReturnType<typeof startApi>>;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect({ status: build.status, stderr: build.stderr }).toMatchObject({ status: 0 });
    db = await createTestDatabase();
    store = await openStore({ databaseUrl: db.url });
    sink = await startSink();
    herald = await startApi({ title: 'compiled worker', store });
  }, 300_000);
  afterAll(async () => {
    if (worker) await stopProcess(worker, 15_000);
    await herald?.stop();
    await store?.close();
    await db?.drop();
    await sink?.close();
  });

  test('npm run build writes a worker that sends a campaign as plain JavaScript with its prebuilt workflow bundle', async () => {
    expect(existsSync(path.join(ROOT, 'dist/workflow-bundle.js'))).toBe(true);
    const launch = workerLaunch();
    worker = await compiled('dist/worker.js', {
      ...launch.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporalAddress(),
      TASK_QUEUE: herald.taskQueue,
      WEBHOOK_URL: sink.url,
      PROVIDER_ALLOWED_HOSTS: new URL(sink.url).host,
      LOG_LEVEL: 'WARN',
    }, 'herald worker on task queue', launch.nodeArgs);
    const { apiKey } = await newAccount(store);
    const http = api(herald.app, apiKey);
    await http.post('/v1/contacts', { contacts: contacts(30) }).expect(200);
    const id = await draftCampaign(herald.app, apiKey, { type: 'filter', all: [] }, { channels: [{ channel: 'email', subject: 'Hi', body: 'Hello {{ contact.first_name }}' }] });
    await http.post(`/v1/campaigns/${id}/send`).expect(202);

    const done = await campaignEnded(herald.app, apiKey, id);
    expect(done.status).toBe('Finished');
    expect(done.counts).toEqual({ planned: 30, pending: 0, sent: 30, notSent: 0, failed: 0, inDoubt: 0, ...NO_RECEIPTS });
    expect(new Set(sink.forCampaign(id).map((r) => r.contactId)).size).toBe(30);
  }, 120_000);

  test('npm run build writes an API that checks templates as plain JavaScript: a campaign is saved, a template too costly refused', async () => {
    const port = await freePort();
    const server = await compiled('dist/api/server.js', { DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporalAddress(), TASK_QUEUE: herald.taskQueue, PORT: String(port), LOG_LEVEL: 'WARN' }, 'herald api on');
    try {
      const { apiKey } = await newAccount(store, 'compiled api');
      const post = (route: string, body: object) =>
        fetch(`http://127.0.0.1:${port}${route}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const audience = await post('/v1/audiences', { name: 'all', type: 'filter', all: [] });
      expect(audience.status).toBe(201);
      const audienceId = ((await audience.json()) as { id: string }).id;
      // Every save renders the template in a worker thread for worst-case contacts: that thread runs the engine's source.
      const saved = await post('/v1/campaigns', { name: 'c', audienceId, channels: [{ channel: 'sms', body: 'Hello {{ contact.first_name }}' }] });
      expect(saved.status).toBe(201);
      const costly = await post('/v1/campaigns', { name: 'c', audienceId, channels: [{ channel: 'sms', body: '{% for a in contact.items %}{% for b in contact.items %}{{ a }}{{ b }}{% endfor %}{% endfor %}' }] });
      expect(costly.status).toBe(400);
      expect(((await costly.json()) as { error: { message: string } }).error.message).toMatch(/^channels\.0\.body: template too expensive to render/);
    } finally {
      await stopProcess(server, 15_000);
    }
  }, 60_000);
});
