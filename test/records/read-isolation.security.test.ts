// Attack: a reader races a write that will roll back (e.g. its audit record fails) and hopes to see the uncommitted record through the fast read path that shares SQLite's single connection.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditSink } from '../../src/core/records/stages.ts';
import { eachDialect } from '../helpers/dialects.ts';
import { caller, openFixture, type Fixture } from './records-fixture.ts';

eachDialect('reads never see another request\'s uncommitted write', (t) => {
  let fx: Fixture;
  let release: () => void = () => {};
  let entered: () => void = () => {};
  let reached = new Promise<void>((r) => { entered = r; });
  // An audit sink that holds the write transaction open, then fails it.
  const sink: AuditSink = {
    async record() {
      entered();
      await new Promise<void>((r) => { release = r; });
      throw new Error('audit store unavailable');
    },
    async recordRead() {},
  };
  before(async () => { fx = await openFixture(t, { audit: sink }); });
  after(async () => { await fx.close(); });

  test('a list and a get during an open transaction miss the record, which then never existed', async () => {
    const alice = caller();
    const write = fx.svc.create(alice, 'notes', { title: 'uncommitted secret', tag: 'iso' }).then(() => null, (e: unknown) => e);
    await reached;
    const listing = fx.svc.list(alice, 'notes', { filter: "tag = 'iso'" });
    // give the read every chance to run while the transaction is still open
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [err, seen] = await Promise.all([write, listing]);
    assert.ok(err instanceof Error, 'the write must fail with the audit sink');
    assert.deepEqual(seen.items, [], JSON.stringify(seen.items));
    assert.equal(seen.totalItems, 0);
    assert.equal(await fx.count('notes'), 0);
    reached = new Promise<void>((r) => { entered = r; });
  });
});
