// Load shedding: when the event loop lags past limits.maxEventLoopDelay, new requests get 503 at once instead of queueing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as yieldLoop, setTimeout as sleep } from 'node:timers/promises';
import { LoadShedder } from '../../src/http/edge/load-shedder.ts';
import { openTestEngine, tempSqlite } from '../helpers/test-engine.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the event loop is blocked */ }
}

test('the sampler sees sustained lag (not one slow turn) and recovers', async () => {
  const shedder = new LoadShedder(100, { sampleMs: 20 });
  try {
    await sleep(60);
    assert.equal(shedder.overloaded(), 0, 'idle');
    busy(250);
    await sleep(30);
    assert.equal(shedder.overloaded(), 0, 'one slow turn alone does not shed');
    for (let i = 0; i < 4; i++) { busy(250); await yieldLoop(); await sleep(1); }
    assert.ok(shedder.overloaded() > 100, 'sustained lag sheds');
    await sleep(120);
    assert.equal(shedder.overloaded(), 0, 'recovered');
  } finally {
    shedder.close();
  }
});

test('while overloaded: 503 ERR_OVERLOADED with Retry-After and the security headers; served again after', async () => {
  let lag = 0;
  const { buildServer } = await import('../../src/http/build-server.ts');
  const engine = await openTestEngine(tempSqlite(), { edge: { limits: { maxEventLoopDelay: 500 } } });
  const app = await buildServer(engine, { shedder: new LoadShedder(500, { lag: () => lag }) });
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    lag = 2300;
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'ERR_OVERLOADED');
    assert.equal(res.headers['retry-after'], '3');
    assert.match(String(res.headers['strict-transport-security']), /max-age=/);
    lag = 10;
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
  } finally {
    await app.close();
    await engine.close();
  }
});
