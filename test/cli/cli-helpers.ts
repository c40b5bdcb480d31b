import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const MAIN = join(ROOT, 'src/cli/main.ts');
// Absolute, so the CLI can run with a temp folder as its working directory.
const TSX = import.meta.resolve('tsx');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface RunOptions {
  cwd: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function cliCommand(args: readonly string[]): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ['--import', TSX, MAIN, ...args] };
}

/** Runs `strongbox …` to completion (killed after timeoutMs). */
export function runCli(args: readonly string[], opts: RunOptions): Promise<CliResult> {
  const { cmd, args: argv } = cliCommand(args);
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: 'pipe' });
  child.stdin.end(opts.input ?? '');
  return collect(child, opts.timeoutMs ?? 60_000);
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`CLI did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

export interface ServeHandle {
  readonly url: string;
  /** PEM of the dev CA `serve --dev` printed (null for plain HTTP or a configured certificate). */
  readonly ca: string | null;
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<CliResult>;
  readonly exited: Promise<CliResult>;
}

/** Starts `strongbox serve …` and resolves once it prints its listen URL. */
export function startServe(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ServeHandle> {
  const { cmd, args: argv } = cliCommand(['serve', ...args]);
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: 'pipe' });
  child.stdin.end();
  const exited = collect(child, 120_000);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer | string) => { out += String(d); });
  child.stderr.on('data', (d: Buffer | string) => { err += String(d); });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`serve did not start within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      const caPath = /trust it with: curl --cacert (\S+)/.exec(out)?.[1];
      const ca = caPath === undefined ? null : readFileSync(resolve(opts.cwd, caPath), 'utf8');
      if (ca !== null) CA_BY_ORIGIN.set(m[1], ca);
      done({
        url: m[1],
        ca,
        child,
        exited,
        output: () => ({ stdout: out, stderr: err }),
        stop: (signal = 'SIGTERM') => { child.kill(signal); return exited; },
      });
    };
    child.stdout.on('data', onData);
    exited.then((r) => {
      clearTimeout(timer);
      fail(new Error(`serve exited early (${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`));
    }, fail);
  });
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'strongbox-cli-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The dev CA of each server started by startServe, so `api` can verify its certificate. */
const CA_BY_ORIGIN = new Map<string, string>();

export function caFor(url: string): string | undefined {
  return CA_BY_ORIGIN.get(new URL(url).origin);
}

/** One HTTPS request verified against `ca` (fetch cannot take a CA per call). */
export function httpsText(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; timeoutMs?: number } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca ?? caFor(url), timeout: opts.timeoutMs ?? 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', fail);
    req.end(opts.body);
  });
}

/** JSON request helper for a running server (HTTPS verified against its dev CA). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
export async function api(url: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (url.startsWith('https:')) {
    const r = await httpsText(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: r.text ? JSON.parse(r.text) : null };
  }
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
