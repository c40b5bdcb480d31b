import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export interface Measurement {
  readonly reqPerSec: number;
  readonly p50: number; // ms
  readonly p99: number; // ms
  readonly total: number;
  /** non-2xx answers + socket errors + timeouts: a run with any is not a valid measurement */
  readonly failures: number;
}

export interface Scenario {
  readonly url: string; // origin, e.g. http://127.0.0.1:1234
  readonly seconds: number;
  readonly connections: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Next path for each request (rotates over ids, filters…). */
  readonly path: () => string;
  readonly body?: string;
  /** Requests per second across all connections (a latency probe), else as fast as possible. */
  readonly rate?: number;
  /** An unmeasured run first, so both servers are measured warm (JIT-compiled, caches filled). */
  readonly warmupSeconds?: number;
}

/** One autocannon run over loopback; bounded by its duration and a 10 s per-request timeout. */
export async function measure(s: Scenario): Promise<Measurement> {
  const headers = { ...(s.body !== undefined ? { 'content-type': 'application/json' } : {}), ...s.headers };
  if (s.warmupSeconds) await measure({ ...s, seconds: s.warmupSeconds, warmupSeconds: 0 });
  const result = await autocannon({
    url: s.url,
    connections: s.connections,
    duration: s.seconds,
    timeout: 10,
    ...(s.rate !== undefined ? { overallRate: s.rate } : {}),
    requests: [{
      method: s.method ?? 'GET',
      headers,
      ...(s.body !== undefined ? { body: s.body } : {}),
      setupRequest: (req) => ({ ...req, path: s.path() }),
    }],
  });
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

export interface Probe {
  readonly url: string; // origin
  readonly seconds: number;
  /** requests per second, sent one after another on one keep-alive connection */
  readonly rate: number;
  readonly headers?: Record<string, string>;
  readonly path: () => string;
}

const PROBE_WARMUP = 20; // requests, unrecorded: connect and warm the JIT on both sides
const PROBE_TIMEOUT_MS = 10_000; // per request

/**
 * A latency probe with sub-millisecond resolution (autocannon reports whole milliseconds):
 * GETs at a fixed rate on one keep-alive connection, each timed with process.hrtime.bigint()
 * from send to the last byte of the answer. A request due while the previous one is still
 * out is sent when it returns. Bounded: rate × seconds requests, and none started after
 * seconds + 30 s (those count as failures).
 */
export async function probeLatency(p: Probe): Promise<Measurement> {
  const origin = new URL(p.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string): Promise<number> => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: origin.hostname, port: origin.port, path, agent, headers: p.headers }, (res) => {
      res.resume();
      res.on('error', reject);
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) resolve(ms);
        else reject(new Error(`status ${res.statusCode}`));
      });
    });
    req.setTimeout(PROBE_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
  try {
    for (let i = 0; i < PROBE_WARMUP; i++) await get(p.path()).catch(() => undefined);
    const count = Math.max(1, Math.round(p.rate * p.seconds));
    const deadline = (p.seconds + 30) * 1000;
    const latencies: number[] = [];
    let failures = 0;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const now = performance.now() - start;
      if (now > deadline) { failures += count - i; break; }
      const wait = (i * 1000) / p.rate - now;
      if (wait > 0) await sleep(wait);
      try {
        latencies.push(await get(p.path()));
      } catch {
        failures++;
      }
    }
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    return { reqPerSec: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), total: latencies.length, failures };
  } finally {
    agent.destroy();
  }
}

/** Nearest-rank percentile of an ascending list (NaN when empty). */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((q / 100) * sorted.length))) - 1];
}

/** A rotating picker over a fixed list (no randomness needed: order does not matter to SQLite). */
export function rotate<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}
