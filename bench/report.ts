import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import type { Measurement } from './load.ts';

export interface Row {
  readonly name: string;
  readonly strongbox: Measurement;
  readonly baseline?: Measurement;
  /** minimum Strongbox/baseline req/s ratio */
  readonly target?: number;
  /** the ratio in each alternating slice, to show the spread */
  readonly sliceRatios?: readonly number[];
}

export interface Extra { readonly label: string; readonly value: string; readonly ok: boolean | null }

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f1 = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

export function ratioOf(r: Row): number | null {
  return r.baseline && r.baseline.reqPerSec > 0 ? r.strongbox.reqPerSec / r.baseline.reqPerSec : null;
}

export function rowOk(r: Row): boolean {
  const ratio = ratioOf(r);
  const valid = r.strongbox.failures === 0 && (r.baseline?.failures ?? 0) === 0;
  return valid && (r.target === undefined || (ratio !== null && ratio >= r.target));
}

/** A Markdown table: readable on a terminal and appended as is to bench/RESULTS.md. */
export function formatTable(rows: readonly Row[], extras: readonly Extra[]): string {
  const lines = [
    '| scenario | Strongbox req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms | ratio | target | ok |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const r of rows) {
    const s = r.strongbox;
    const b = r.baseline;
    const ratio = ratioOf(r);
    const fails = s.failures + (b?.failures ?? 0);
    lines.push(`| ${r.name} | ${f0(s.reqPerSec)} | ${f1(s.p50)} | ${f1(s.p99)} | ${b ? f0(b.reqPerSec) : '–'} | ${b ? f1(b.p50) : '–'} | ${b ? f1(b.p99) : '–'} | ${ratio === null ? '–' : ratio.toFixed(2)} | ${r.target === undefined ? '–' : `≥ ${r.target}`} | ${rowOk(r) ? 'yes' : 'NO'}${fails ? ` (${fails} failed requests)` : ''} |`);
  }
  lines.push('');
  for (const r of rows) {
    if (r.sliceRatios) lines.push(`- ${r.name.split(' ')[0]} ratio per slice: ${r.sliceRatios.map((x) => x.toFixed(2)).join(', ')}`);
  }
  for (const e of extras) lines.push(`- ${e.label}: ${e.value}${e.ok === null ? '' : e.ok ? ' — ok' : ' — MISSED'}`);
  return lines.join('\n');
}

export function machine(): string {
  const c = cpus();
  return `${type()} ${release()}, ${c.length}× ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Read-only git queries: the commit measured, and whether the tree had local changes. */
export function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // a previous run's appended results are not a change to the code being measured
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ':!bench/RESULTS.md'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function appendResults(file: string, title: string, body: string): void {
  if (!existsSync(file)) {
    writeFileSync(file, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.ts); newest last. Ratios compare Strongbox with the bare Fastify + better-sqlite3 baseline in the same run.\n');
  }
  appendFileSync(file, `\n## ${title}\n\n${body}\n`);
}
