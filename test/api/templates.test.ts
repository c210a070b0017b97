/**
 * Templates cannot block the event loop: each is checked at save by rendering it off the event loop for contacts
 * whose attributes are as large as allowed (a hard stop ends a render over its budget), and a preview renders off
 * the event loop too.
 */
import type { Express } from 'express';
import type { Store } from '../../src/store/store';
import { api, newAccount, openTestStore, startApi } from '../helpers';

let store: Store;
let app: Express;
let stopApi: () => Promise<void>;
let key: string;
let accountId: string;
let audienceId: string;

beforeAll(async () => {
  store = await openTestStore('embedded');
  const started = await startApi({ title: 'templates', store });
  app = started.app;
  stopApi = started.stop;
  ({ apiKey: key, accountId } = await newAccount(store));
  const items = Array.from({ length: 4_000 }, (_, i) => `item${i}`);
  await api(app, key).post('/v1/contacts', { contacts: [{ id: 'big', attributes: { items, n: 1e9, first_name: 'Ann' } }, { id: 'small', attributes: { items: ['a', 'b'], first_name: 'Bo' } }] }).expect(200);
  audienceId = (await api(app, key).post('/v1/audiences', { name: 'all', type: 'filter', all: [] }).expect(201)).body.id;
});
afterAll(async () => {
  await stopApi();
  await store.close();
});

const create = (body: string) => api(app, key).post('/v1/campaigns', { name: 't', audienceId, channels: [{ channel: 'sms', body }] });

test('loops sized by a contact attribute that would blow up are refused at save, naming the field', async () => {
  for (const body of [
    '{% for a in contact.items %}{% for b in contact.items %}{{ a }}{{ b }}{% endfor %}{% endfor %}',
    '{% for i in (1..contact.n) %}x{% endfor %}',
    '{% for a in contact.items %}{% for b in contact.items %}{% for c in contact.items %}.{% endfor %}{% endfor %}{% endfor %}',
  ]) {
    const res = await create(body);
    expect({ body, status: res.status }).toEqual({ body, status: 400 });
    expect(res.body.error.message).toMatch(/^channels\.0\.body: template too expensive to render/);
  }
});

test('ordinary templates, one loop over a contact list included, are accepted and render', async () => {
  const id = (await create('Hi {{ contact.first_name }}: {% for a in contact.items limit: 3 %}{{ a }} {% endfor %}').expect(201)).body.id;
  const preview = await api(app, key).post(`/v1/campaigns/${id}/preview`, { contactId: 'small' }).expect(200);
  expect(preview.body.channels[0].body).toBe('Hi Bo: a b ');
});

test('a heavy template saved before the check previews with an error without blocking the event loop', async () => {
  // Saved straight into the store, as a campaign from before the check would be.
  const heavy = await store.createCampaign(accountId, {
    name: 'old',
    audienceId,
    channels: [{ channel: 'sms', body: '{% for a in contact.items %}{% for b in contact.items %}{{ a }}{{ b }}{% endfor %}{% endfor %}' }],
  } as never);
  let worstGap = 0;
  let last = Date.now();
  const ticker = setInterval(() => {
    worstGap = Math.max(worstGap, Date.now() - last);
    last = Date.now();
  }, 5);
  const began = Date.now();
  try {
    const preview = await api(app, key).post(`/v1/campaigns/${heavy.id}/preview`, { contactId: 'big' }).expect(200);
    expect(preview.body.channels[0]).toEqual({ channel: 'sms', error: expect.stringMatching(/^template: .*(budget|limit)/) });
  } finally {
    clearInterval(ticker);
  }
  expect(Date.now() - began).toBeLessThan(2_000);
  expect(worstGap).toBeLessThan(150);
});
