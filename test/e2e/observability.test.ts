/**
 * What an operator watches while a campaign sends: an ETA on the campaign, Prometheus metrics that agree with the
 * exact counts, and structured log lines that name the account, campaign and workflow without leaking the key.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { pino } from 'pino';
import { TemporalPinoLogger } from '../../src/observability/log';
import { api, contacts, draftCampaign, eventually, newAccount, openTestStore, startHerald, type TestHerald } from '../helpers';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** The value of one sample in a Prometheus text exposition, 0 when absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of metrics.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((l) => have.includes(l))) return Number(match[3]);
  }
  return 0;
}

/** A logger at `level` that keeps each line it writes, raw and parsed. */
function capturedLog(level: string) {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        raw.push(chunk.toString());
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, raw, lines };
}

describe('observability', () => {
  let herald: TestHerald;
  const { logger, raw, lines } = capturedLog('debug');

  beforeAll(async () => {
    herald = await startHerald({
      title: 'observability',
      store: await openTestStore('embedded'),
      sandbox: { latencyMs: 100 },
      sendOptions: { batchSize: 100, concurrency: 2 },
      logger,
      metricsToken: METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await herald.stop();
    await herald.store.close();
  });

  /** Prometheus scraping /metrics with the operator's token. */
  const scrape = () => request(herald.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);

  test('/metrics is served only to the bearer of METRICS_TOKEN', async () => {
    await request(herald.app).get('/metrics').expect(401);
    await request(herald.app).get('/metrics').set('Authorization', 'Bearer not-the-token').expect(401);
    const { apiKey } = await newAccount(herald.store);
    await request(herald.app).get('/metrics').set('Authorization', `Bearer ${apiKey}`).expect(401);
    expect((await scrape().expect(200)).text).toContain('herald_');
  });

  test('a sending campaign shows its rate and ETA; after a stop, /metrics agrees with the exact counts', async () => {
    const { apiKey } = await newAccount(herald.store);
    const http = api(herald.app, apiKey);
    await http.post('/v1/contacts', { contacts: contacts(6_000, 'obs') }).expect(200);
    const id = await draftCampaign(herald.app, apiKey, { type: 'list', contactIds: contacts(6_000, 'obs').map((c) => c.id) }, {
      channels: [{ channel: 'email', subject: 'Hi', body: 'Hello' }],
    });
    const before = (await scrape().expect(200)).text;

    await http.post(`/v1/campaigns/${id}/send`).expect(202);
    const sending = await eventually(async () => {
      const c = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
      return c.status === 'Sending' && c.eta ? c : undefined;
    });
    expect(sending.eta.messagesPerSecond).toBeGreaterThan(0);
    expect(sending.eta.secondsLeft).toBeGreaterThan(0);
    expect(new Date(sending.eta.at).getTime()).toBeGreaterThan(Date.now());
    await eventually(async () => (sample((await scrape()).text, 'herald_batches_in_flight') > 0 ? true : undefined));

    await http.post(`/v1/campaigns/${id}/stop`, { confirmation: id }).expect(200);
    const stopped = (await http.get(`/v1/campaigns/${id}`).expect(200)).body;
    expect(stopped.status).toBe('Stopped');
    expect(stopped.eta).toBeNull();
    const { sent, notSent, failed, planned } = stopped.counts;
    expect(sent + notSent + failed).toBe(planned);
    expect(notSent).toBeGreaterThan(0);

    const after = (await scrape().expect(200)).text;
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('herald_messages_total', { channel: 'email', outcome: 'sent' })).toBe(sent);
    expect(delta('herald_messages_total', { channel: 'email', outcome: 'notSent' })).toBe(notSent);
    expect(delta('herald_not_sent_total', { channel: 'email', reason: 'stopped' })).toBe(notSent);
    expect(delta('herald_control_seconds_count', { action: 'stop' })).toBe(1);
    expect(sample(after, 'herald_provider_request_seconds_count', { provider: 'sandbox', channel: 'email' })).toBeGreaterThan(0);
    expect(sample(after, 'herald_batches_in_flight')).toBe(0);

    // The stop's request log line names who and what; the key itself is nowhere in the log.
    const stopLine = lines.find((l) => (l.req as { url?: string } | undefined)?.url === `/v1/campaigns/${id}/stop`);
    expect(stopLine).toMatchObject({ accountId: expect.any(String), campaignId: id, workflowId: `campaign-${id}`, res: { statusCode: 200 } });
    expect(raw.join('')).not.toContain(apiKey);
  });

  test("Temporal's workflow and activity logs carry the campaign id beside the workflow id", () => {
    const { logger, lines: out } = capturedLog('info');
    new TemporalPinoLogger(logger).info('campaign Sending', { workflowId: 'campaign-cmp_1', runId: 'r1', sdkComponent: 'workflow' });
    expect(out[0]).toMatchObject({ msg: 'campaign Sending', workflowId: 'campaign-cmp_1', campaignId: 'cmp_1', runId: 'r1' });
  });
});
