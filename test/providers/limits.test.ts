/** A provider's own limits: never more calls at once than its concurrency, never faster than its rate. */
import { Limiter, retryAfterMs } from '../../src/providers/limits';
import { NOT_STARTED } from '../../src/providers/provider';

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
