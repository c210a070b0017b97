/** A worker's slots shared between accounts: who gives a slot back, and when (a clock the test moves). */
import { REFILL_GRACE_MS, SlotShare } from '../../src/activities/share';

const BUDGET = 5_000;

function worker(slots: number) {
  let now = 0;
  const share = new SlotShare(slots, BUDGET, () => now);
  return { share, advance: (ms: number) => (now += ms) };
}

test('a batch on a worker with a free slot never yields, however long it runs', () => {
  const { share, advance } = worker(4);
  const holds = [share.hold('b'), share.hold('b'), share.hold('b')];
  advance(10 * BUDGET);
  expect(holds.map((h) => h.shouldYield())).toEqual([false, false, false]);
});

test("one account holding a full worker gives slots back once its batches have run their budget", () => {
  const { share, advance } = worker(2);
  const [first, second] = [share.hold('b'), share.hold('b')];
  expect(first.shouldYield()).toBe(false);
  advance(BUDGET);
  expect(first.shouldYield()).toBe(true);
  // The account now counts one slot of its share of two: its other batch keeps its slot.
  expect(second.shouldYield()).toBe(false);
});

test('on a full worker, every account at its share turns its slots over: a third account waiting gets one', () => {
  const { share, advance } = worker(2);
  const b = share.hold('b');
  advance(BUDGET);
  const a = share.hold('a');
  // Both hold their share (one): B, past its budget, gives its slot back; A, within its budget, keeps it.
  expect(a.shouldYield()).toBe(false);
  expect(b.shouldYield()).toBe(true);
  b.release();
  share.hold('c');
  advance(BUDGET);
  expect(a.shouldYield()).toBe(true);
});

test('an account under its share keeps its slots; the one over it gives slots back until it is under its share', () => {
  const { share, advance } = worker(8);
  const a = [share.hold('a'), share.hold('a')];
  const b = Array.from({ length: 6 }, () => share.hold('b'));
  advance(BUDGET);
  expect(share.fairShare()).toBe(4);
  expect(a.map((h) => h.shouldYield())).toEqual([false, false]);
  // B holds 6 of a share of 4: its batches give back until it holds less than its share.
  expect(b.map((h) => h.shouldYield())).toEqual([true, true, true, false, false, false]);
});

test('a worker that stays not full after a slot was given back stops asking for more', () => {
  const { share, advance } = worker(2);
  const [first, second] = [share.hold('b'), share.hold('b')];
  advance(BUDGET);
  first.release();
  advance(REFILL_GRACE_MS);
  expect(second.shouldYield()).toBe(false);
});
