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
}

/** One autocannon run over loopback; bounded by its duration and a 10 s per-request timeout. */
export async function measure(s: Scenario): Promise<Measurement> {
  const headers = { ...(s.body !== undefined ? { 'content-type': 'application/json' } : {}), ...s.headers };
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

/** A rotating picker over a fixed list (no randomness needed: order does not matter to SQLite). */
export function rotate<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}
