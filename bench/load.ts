import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** One throughput run as wrk reports it. */
export interface Measurement {
  readonly reqPerSec: number;
  readonly p50: number; // ms
  readonly p99: number; // ms
  readonly total: number;
  /** answers ≥ 400 + socket errors + timeouts: a run with any is not a valid measurement */
  readonly failures: number;
}

export interface Load {
  readonly url: string; // origin, e.g. http://127.0.0.1:1234
  readonly seconds: number;
  readonly connections: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** wrk rotates over these paths, one per request (ids, filters…). */
  readonly paths: readonly string[];
  readonly body?: string;
  /** wrk rotates over these bodies, one per request (JSON, one line each: e.g. many accounts' logins); instead of `body`. */
  readonly bodies?: readonly string[];
}

const SCRIPT = resolve(import.meta.dirname, 'wrk-scenario.lua');

/** wrk (C, event-driven) is the load generator: it must not be the bottleneck it measures. */
export function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error) {
    throw new Error('wrk is not installed (Debian: apt-get install wrk); npm run bench needs it');
  }
}

/**
 * CPU pinning on a machine with at least two CPUs and taskset: the servers share the last CPU
 * and the load generators (wrk, and this process for the latency probe) get the others, so the
 * client never competes with the server it measures and both servers run under equal terms.
 */
export const pinning: { readonly server: string[]; readonly client: string[] } = (() => {
  const n = cpus().length;
  if (n < 2 || spawnSync('taskset', ['-V']).error) return { server: [], client: [] };
  return { server: ['taskset', '-c', String(n - 1)], client: ['taskset', '-c', `0-${n - 2}`] };
})();

/** Pins this process (and its threads) to the client CPUs, when pinning is on. */
export function pinSelfAsClient(): void {
  if (pinning.client.length === 0) return;
  spawnSync('taskset', ['-a', '-p', '-c', pinning.client[2], String(process.pid)], { stdio: 'ignore' });
}

/** One wrk run over loopback; bounded by its duration and a 10 s per-request timeout. */
export async function runLoad(l: Load): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'strongbox-wrk-'));
  try {
    const pathsFile = join(dir, 'paths');
    writeFileSync(pathsFile, `${l.paths.join('\n')}\n`);
    const args = ['-t1', `-c${l.connections}`, `-d${l.seconds}s`, '--timeout', '10s', '-s', SCRIPT];
    const hasBody = l.body !== undefined || l.bodies !== undefined;
    const headers = { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...l.headers };
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    args.push(l.url, '--', pathsFile, l.method ?? 'GET');
    if (l.bodies !== undefined) {
      if (l.bodies.length === 0 || l.bodies.some((b) => b.includes('\n'))) throw new Error('runLoad: bodies must be non-empty one-line strings');
      writeFileSync(join(dir, 'bodies'), `${l.bodies.join('\n')}\n`);
      args.push('-', join(dir, 'bodies'));
    } else if (l.body !== undefined) {
      writeFileSync(join(dir, 'body'), l.body);
      args.push(join(dir, 'body'));
    }
    const [cmd, ...pre] = [...pinning.client, 'wrk'];
    const out = await new Promise<string>((done, fail) => {
      execFile(cmd, [...pre, ...args], { timeout: (l.seconds + 60) * 1000 }, (err, stdout, stderr) => {
        if (err) fail(new Error(`wrk failed: ${err.message}\n${stderr}`));
        else done(stdout);
      });
    });
    const line = out.split('\n').find((s) => s.startsWith('WRK-RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${out}`);
    const r = JSON.parse(line.slice('WRK-RESULT '.length)) as {
      requests: number; durationUs: number; socketErrors: number; badStatus: number; p50Us: number; p99Us: number;
    };
    return {
      reqPerSec: r.requests / (r.durationUs / 1e6),
      p50: r.p50Us / 1000,
      p99: r.p99Us / 1000,
      total: r.requests,
      failures: r.socketErrors + r.badStatus,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
