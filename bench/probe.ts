import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Measurement } from './load.ts';

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
 * A latency probe with sub-millisecond resolution, independent of the load generator:
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
