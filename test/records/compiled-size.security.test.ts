// Attack: an anonymous client sends filters that are small to parse but huge to compile (`'<900 characters joined by NUL>' ~ title`, one SQL term per piece) or long `~` needles, to pin memory and CPU.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/dialects.ts';
import { collection, field, openTestApi, assertNoLeak, type TestApi } from '../helpers/test-engine.ts';

const BOARD = collection('board', [field('title', 'text'), field('body', 'text')], { list: 'true', view: 'true', create: 'true' });
const url = (filter: string) => `/api/collections/board/records?filter=${encodeURIComponent(filter)}`;
const nulPieces = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(65 + (i % 26), 97 + Math.floor(i / 26))).join('\u0000');

eachDialect('compiled size is bounded', (t) => {
  let api: TestApi;
  before(async () => { api = await openTestApi(await t.freshDatabase(), { collections: [BOARD] }); });
  after(async () => { await api.close(); });

  test('each limit is a 400 with its own code and position; nothing is cached for a refused filter', async () => {
    const cases: [string, string][] = [
      [`'${nulPieces(450)}' ~ title && id != "unique-1"`, 'ERR_FILTER_TOO_MANY_TERMS'],
      [`'${nulPieces(65)}' ~ title`, 'ERR_FILTER_TOO_MANY_TERMS'],
      [`body ~ '${'a'.repeat(257)}'`, 'ERR_FILTER_NEEDLE_TOO_LONG'],
      [`body !~ '${'a'.repeat(1000)}b'`, 'ERR_FILTER_NEEDLE_TOO_LONG'],
    ];
    await api.inject({ method: 'GET', url: '/api/collections/board/records' }); // parses the list rule
    const before = api.engine.records.cache.size;
    const compiled = api.engine.records.queries.size;
    for (const [filter, code] of cases) {
      const res = await api.inject({ method: 'GET', url: url(filter) });
      assert.equal(res.statusCode, 400, filter.slice(0, 40));
      const { error } = res.json();
      assert.equal(error.code, code);
      assert.equal(typeof error.position, 'number');
      assert.ok(res.body.length < 1000);
      assertNoLeak(res.body);
    }
    assert.equal(api.engine.records.cache.size, before, 'refused filters are not cached');
    assert.equal(api.engine.records.queries.size, compiled, 'nothing was compiled');
  });

  test('the honest limits still pass: 40 comparisons, 64 NUL pieces, a 256-character needle', async () => {
    for (const filter of [
      Array.from({ length: 40 }, (_, i) => `title ~ 'n${i}'`).join(' || '),
      `'${nulPieces(64)}' ~ title`,
      `body ~ '${'a'.repeat(256)}'`,
    ]) {
      const res = await api.inject({ method: 'GET', url: url(filter) });
      assert.equal(res.statusCode, 200, res.body.slice(0, 200));
    }
  });
});
