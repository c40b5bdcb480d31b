import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruMap } from '../../src/util/lru-map.ts';

test('never holds more than its capacity, and keeps a recently read entry over an unread one', () => {
  const m = new LruMap<string, number>(3);
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  assert.equal(m.get('a'), 1); // a is read, b and c are not
  m.set('d', 4);
  assert.equal(m.size, 3);
  assert.equal(m.get('a'), 1);
  assert.equal(m.get('b'), undefined, 'the oldest unread entry goes first');
  assert.equal(m.get('d'), 4);
});

test('memo produces once per key and does not cache a throw', () => {
  const m = new LruMap<string, number>(2);
  let calls = 0;
  assert.equal(m.memo('k', () => ++calls), 1);
  assert.equal(m.memo('k', () => ++calls), 1);
  assert.throws(() => m.memo('x', () => { throw new Error('bad'); }));
  assert.equal(m.get('x'), undefined);
});

test('property: size stays bounded and every get returns the last value set for that key, if kept', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 8 }), fc.integer())), (cap, ops) => {
    const m = new LruMap<number, number>(cap);
    const last = new Map<number, number>();
    for (const [isSet, k, v] of ops) {
      if (isSet) { m.set(k, v); last.set(k, v); } else {
        const got = m.get(k);
        if (got !== undefined) assert.equal(got, last.get(k));
      }
      assert.ok(m.size <= cap);
    }
  }), { numRuns: 300 });
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new LruMap(0), RangeError);
});

test('a byte budget bounds the total and refuses an entry above the per-entry bound', () => {
  const m = new LruMap<string, string>(1000, { maxBytes: 100, maxEntryBytes: 40, sizeOf: (_k, v) => v.length });
  for (let i = 0; i < 50; i++) m.set(`k${i}`, 'x'.repeat(10));
  assert.ok(m.bytes <= 100, `${m.bytes}`);
  assert.equal(m.size, 10);
  assert.equal(m.get('k49'), 'x'.repeat(10), 'the newest is kept');
  m.set('big', 'y'.repeat(41));
  assert.equal(m.get('big'), undefined, 'never cached above the per-entry bound');
  m.set('k49', 'z'.repeat(41));
  assert.equal(m.get('k49'), undefined, 'replacing with an oversized value drops the key');
  assert.equal(m.memo('big', () => 'y'.repeat(41)), 'y'.repeat(41), 'memo still returns what it produced');
  assert.ok(m.bytes <= 100);
  m.clear();
  assert.equal(m.bytes, 0);
});

test('property: with a byte budget, bytes equal the sum of the kept entries and stay within it', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 30 }))), (ops) => {
    const m = new LruMap<number, number>(8, { maxBytes: 60, maxEntryBytes: 25, sizeOf: (_k, v) => v });
    const kept = new Map<number, number>();
    for (const [k, v] of ops) {
      m.set(k, v);
      kept.set(k, v);
      let sum = 0;
      for (const [key, value] of kept) if (m.get(key) === value) sum += value;
      assert.ok(m.bytes <= 60 && m.size <= 8);
      assert.equal(m.bytes, sum);
    }
  }), { numRuns: 200 });
});
