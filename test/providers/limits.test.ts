/** A provider's own limits: never more calls at once than its concurrency, never faster than its rate. */
import { maxInAnySecond } from '../../bench/sink';
import { Limiter, retryAfterMs, type Limits } from '../../src/providers/limits';
import { NOT_STARTED } from '../../src/providers/provider';
import type { Store } from '../../src/store';
import { newAccount, openTestStore } from '../helpers';

const accepted = { status: 'accepted', providerMessageId: 'x' } as const;

test('no more calls run at once than the concurrency allows', async () => {
  const limiter = new Limiter({ concurrency: 3 });
  let running = 0;
  let most = 0;
  const outcomes = await limiter.each(Array.from({ length: 20 }, (_, i) => i), new AbortController().signal, async () => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return accepted;
  });
  expect(outcomes).toHaveLength(20);
  expect(most).toBe(3);
});

test('starts are paced to the rate after the first second\'s burst', async () => {
  const limiter = new Limiter({ ratePerSecond: 20 });
  const started = Date.now();
  await limiter.each(Array.from({ length: 40 }, (_, i) => i), new AbortController().signal, async () => accepted);
  // 20 go at once; the other 20 need a second of tokens.
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
});

test('after an abort nothing more starts: the rest come back not started', async () => {
  const limiter = new Limiter({ concurrency: 1 });
  const controller = new AbortController();
  const sent: number[] = [];
  const outcomes = await limiter.each([1, 2, 3], controller.signal, async (n) => {
    sent.push(n);
    controller.abort();
    return accepted;
  });
  expect(sent).toEqual([1]);
  expect(outcomes).toEqual([accepted, NOT_STARTED, NOT_STARTED]);
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  expect(retryAfterMs('2')).toBe(2_000);
  expect(retryAfterMs(undefined)).toBeUndefined();
  const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
  expect(retryAfterMs(inFiveSeconds)).toBeGreaterThan(3_000);
});

test('a rate below one per second still sends: one message every 1/rate seconds', async () => {
  const limiter = new Limiter({ ratePerSecond: 2 / 3 });
  const starts: number[] = [];
  const began = Date.now();
  const outcomes = await limiter.each([1, 2], new AbortController().signal, async () => {
    starts.push(Date.now() - began);
    return accepted;
  });
  expect(outcomes).toEqual([accepted, accepted]);
  expect(starts[0]).toBeLessThan(200);
  expect(starts[1]).toBeGreaterThanOrEqual(1_400);
  expect(starts[1]).toBeLessThan(2_500);
}, 10_000);

test('an abort ends the wait for a rate token at once', async () => {
  const limiter = new Limiter({ ratePerSecond: 0.01 });
  const controller = new AbortController();
  const began = Date.now();
  setTimeout(() => controller.abort(), 100);
  const outcomes = await limiter.each([1, 2, 3], controller.signal, async () => accepted);
  expect(outcomes).toEqual([accepted, NOT_STARTED, NOT_STARTED]);
  expect(Date.now() - began).toBeLessThan(1_000);
}, 5_000);

test('an abort ends the wait for a concurrency slot at once', async () => {
  const limiter = new Limiter({ concurrency: 1 });
  const controller = new AbortController();
  const began = Date.now();
  let release: () => void = () => undefined;
  const first = limiter.each([1], new AbortController().signal, () => new Promise((r) => (release = () => r(accepted))));
  setTimeout(() => controller.abort(), 100);
  const second = await limiter.each([2, 3], controller.signal, async () => accepted);
  expect(second).toEqual([NOT_STARTED, NOT_STARTED]);
  expect(Date.now() - began).toBeLessThan(1_000);
  release();
  expect(await first).toEqual([accepted]);
}, 5_000);

test("messages that cannot start by their start-by time stop waiting behind another batch's calls", async () => {
  const limiter = new Limiter({ concurrency: 1 });
  let release: () => void = () => undefined;
  // Another batch of the same provider holds its only slot, on a call that does not end.
  const first = limiter.each([1], new AbortController().signal, () => new Promise((r) => (release = () => r(accepted))));
  const began = Date.now();
  const second = await limiter.each([2, 3], new AbortController().signal, async () => accepted, performance.now() + 200);
  expect(second).toEqual([NOT_STARTED, NOT_STARTED]);
  expect(Date.now() - began).toBeGreaterThanOrEqual(150);
  expect(Date.now() - began).toBeLessThan(1_000);
  release();
  expect(await first).toEqual([accepted]);
}, 5_000);

describe("a rate shared through the store (the account provider's timeline)", () => {
  let store: Store;
  let slots: NonNullable<Limits['slots']>;
  let accountId: string;

  beforeAll(async () => {
    store = await openTestStore('embedded');
  });
  afterAll(() => store.close());
  beforeEach(async () => {
    ({ accountId } = await newAccount(store));
    slots = (count, intervalMs) => store.bookProviderSlots(accountId, 'sms', count, intervalMs);
  });

  test('two limiters (two workers) on one timeline never start more than the rate in any second together', async () => {
    const workers = [new Limiter({ concurrency: 10, ratePerSecond: 50, slots }), new Limiter({ concurrency: 10, ratePerSecond: 50, slots })];
    const starts: number[] = [];
    const began = Date.now();
    const sent = await Promise.all(
      workers.map((limiter) =>
        limiter.each(Array.from({ length: 60 }, (_, i) => i), new AbortController().signal, async () => {
          starts.push(Date.now());
          return accepted;
        }),
      ),
    );
    expect(sent.flat()).toEqual(Array(120).fill(accepted));
    // Alone, each would send 50 in its first second (the local bucket's burst); together they share 50/s.
    expect(maxInAnySecond(starts)).toBeLessThanOrEqual(50);
    expect(Date.now() - began).toBeGreaterThanOrEqual(2_200);
  }, 20_000);

  test('a call waiting for its slot is not started after an abort, nor after its start-by time', async () => {
    const limiter = new Limiter({ ratePerSecond: 5, slots });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const began = Date.now();
    const aborted = await limiter.each(Array.from({ length: 10 }, (_, i) => i), controller.signal, async () => accepted);
    expect(aborted.filter((o) => o === accepted).length).toBeGreaterThanOrEqual(1);
    expect(aborted.filter((o) => o === accepted).length).toBeLessThanOrEqual(4);
    expect(aborted.filter((o) => o === NOT_STARTED).length).toBeGreaterThanOrEqual(6);
    expect(Date.now() - began).toBeLessThan(1_000);

    // Slots after the start-by time are not waited for.
    const due = Date.now();
    const late = await limiter.each([1, 2, 3, 4, 5, 6], new AbortController().signal, async () => accepted, performance.now() + 300);
    expect(late.filter((o) => o === NOT_STARTED).length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - due).toBeLessThan(1_000);
  }, 10_000);

  test('a call that gives up at its start-by time leaves its slot: handed over again, it starts at once', async () => {
    const limiter = new Limiter({ concurrency: 10, ratePerSecond: 20, slots });
    // Ten calls, slots 57.5 ms apart: those whose slot comes after the start-by time give up.
    const first = await limiter.each(Array.from({ length: 10 }, (_, i) => i), new AbortController().signal, async () => accepted, performance.now() + 200);
    const gaveUp = first.filter((o) => o === NOT_STARTED).length;
    expect(gaveUp).toBeGreaterThanOrEqual(5);
    // Handed over again at once, as a batch does: they start in the slots the first attempt left, not after them.
    const starts: number[] = [];
    const again = Date.now();
    const second = await limiter.each(Array.from({ length: gaveUp }, (_, i) => i), new AbortController().signal, async () => {
      starts.push(Date.now() - again);
      return accepted;
    }, performance.now() + 5_000);
    expect(second).toEqual(Array(gaveUp).fill(accepted));
    expect(Math.min(...starts)).toBeLessThan(100);
    expect(Math.max(...starts)).toBeLessThan(gaveUp * 58 + 150);
  }, 10_000);

  test('two limiters (two workers) sharing one concurrency never run more calls at once together, and both run', async () => {
    const permits: NonNullable<Limits['permits']> = (ask) => store.leaseProviderPermits(accountId, 'sms', ask);
    const workers = [new Limiter({ concurrency: 4, permits }), new Limiter({ concurrency: 4, permits })];
    let running = 0;
    let most = 0;
    const ran = [0, 0];
    await Promise.all(
      workers.map((limiter, w) =>
        limiter.each(Array.from({ length: 40 }, (_, i) => i), new AbortController().signal, async () => {
          most = Math.max(most, ++running);
          ran[w]!++;
          await new Promise((r) => setTimeout(r, 50));
          running--;
          return accepted;
        }),
      ),
    );
    expect(ran).toEqual([40, 40]);
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThanOrEqual(2);
  }, 20_000);

  test('when the store cannot book a slot, nothing starts and the messages stay unsent (retryable, not taken)', async () => {
    const limiter = new Limiter({ ratePerSecond: 100, slots: () => Promise.reject(new Error('store down')) });
    let calls = 0;
    const outcomes = await limiter.each([1, 2], new AbortController().signal, async () => {
      calls++;
      return accepted;
    });
    expect(calls).toBe(0);
    expect(outcomes).toEqual(Array(2).fill(expect.objectContaining({ status: 'retryable', notTaken: true })));
  });
});
