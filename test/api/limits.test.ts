/**
 * Account limits hold across API processes: the request rate is counted per account in the store (two API
 * processes share it, every key of the account counts), failed authentications are limited per client address,
 * and an account holds a bounded number of active API keys.
 */
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { MAX_API_KEYS } from '../../src/api/keys/keys.routes';
import type { Store } from '../../src/store/store';
import { api, newAccount, openTestStore, startApi, STORE_KINDS, withinOneMinuteWindow } from '../helpers';

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  let store: Store;
  let stops: (() => Promise<void>)[] = [];
  /** An API process on the shared store with these limits. */
  const apiProcess = async (limits: { rateLimitPerMinute?: number; authFailuresPerMinute?: number }): Promise<Express> => {
    const started = await startApi({ title: `limits-${kind}`, store });
    stops.push(started.stop);
    return createApp({
      store,
      temporal: started.client,
      settings: { taskQueue: started.taskQueue, namespace: 'default', temporalUiUrl: 'http://x', sendOptions: { batchSize: 1, concurrency: 1, pageSize: 1 }, secretsKey: started.secretsKey, ...limits },
      log: () => undefined,
    });
  };

  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await Promise.all(stops.map((s) => s()));
    stops = [];
    await store.close();
  });

  test('the rate limit is per account and shared by every API process and every key of the account', async () => {
    const [one, two] = [await apiProcess({ rateLimitPerMinute: 6 }), await apiProcess({ rateLimitPerMinute: 6 })];
    await withinOneMinuteWindow();
    const a = await newAccount(store, 'A');
    const second = (await api(one, a.apiKey).post('/v1/keys', { name: 'second', scope: 'read' }).expect(201)).body.key as string;
    const b = await newAccount(store, 'B');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api(one, a.apiKey).get('/v1/campaigns')).status);
      statuses.push((await api(two, second).get('/v1/campaigns')).status);
    }
    // The key creation was the first of the six.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = await api(two, a.apiKey).get('/v1/campaigns');
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/rate limit of 6 requests per minute for this account/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await api(one, b.apiKey).get('/v1/campaigns').expect(200);
  });

  test('failed authentications are limited per client address, and then even a good key waits', async () => {
    const [one, two] = [await apiProcess({ authFailuresPerMinute: 5 }), await apiProcess({ authFailuresPerMinute: 5 })];
    const good = await newAccount(store, 'C');
    await withinOneMinuteWindow();
    await api(one, good.apiKey).get('/v1/campaigns').expect(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await request(one).get('/v1/campaigns').set('Authorization', `Bearer hk_guess${i}`)).status);
      statuses.push((await request(two).get('/v1/campaigns').set('Authorization', `Bearer hk_other${i}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const blocked = await api(one, good.apiKey).get('/v1/campaigns');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.message).toMatch(/too many failed authentications from this address/);
  });

  test(`an account holds at most ${MAX_API_KEYS} active API keys`, async () => {
    const app = await apiProcess({});
    const owner = await newAccount(store, 'D');
    const http = api(app, owner.apiKey);
    const made: string[] = [];
    for (let i = 1; i < MAX_API_KEYS; i++) made.push((await http.post('/v1/keys', { name: `k${i}`, scope: 'read' }).expect(201)).body.id);
    const refused = await http.post('/v1/keys', { name: 'one too many', scope: 'read' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(new RegExp(`at most ${MAX_API_KEYS} active API keys`));
    await http.delete(`/v1/keys/${made[0]}`).expect(200);
    await http.post('/v1/keys', { name: 'replacement', scope: 'read' }).expect(201);
  });
});
