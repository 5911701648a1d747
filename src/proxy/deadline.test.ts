import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineEntry, DeadlineList } from './deadline.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !pred(); i++) await sleep(5);
  assert.ok(pred(), 'condition reached');
}

test('deadline lists fire due entries in order, skip cancelled ones, and re-arm for later ones', async () => {
  const list = new DeadlineList(200);
  const fired: string[] = [];
  const owner = (name: string) => ({ onDeadline: () => fired.push(name) });
  const a = new DeadlineEntry(owner('a'));
  const b = new DeadlineEntry(owner('b'));
  const c = new DeadlineEntry(owner('c'));
  const t0 = Date.now();
  list.add(a);
  list.add(b);
  await sleep(100);
  list.add(c); // due about 100 ms after a
  b.cancel();
  assert.equal(list.size, 2);
  await until(() => fired.length > 0);
  assert.ok(Date.now() - t0 >= 195, 'not before its deadline');
  assert.deepEqual(fired, ['a'], 'a fired; b was cancelled; c is not due yet');
  assert.equal(a.armed, false);
  await until(() => fired.length > 1);
  assert.deepEqual(fired, ['a', 'c']);
  assert.equal(list.size, 0);
  // Re-adding an armed entry moves its deadline.
  const t1 = Date.now();
  list.add(a);
  await sleep(100);
  list.add(a);
  await until(() => fired.length > 2);
  assert.ok(Date.now() - t1 >= 295, 'fired at the moved deadline, not the first');
  assert.deepEqual(fired, ['a', 'c', 'a']);
});
