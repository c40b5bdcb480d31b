import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system, all threads) a process has used so far; 0 when it is gone. With
 * `reaped`, also what its exited and reaped children used (cutime, cstime): a PostgreSQL backend
 * or autovacuum worker that ends mid-measurement then moves from the live sum into its parent's,
 * instead of taking its CPU out of the total.
 */
export function cpuSeconds(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]); // utime, stime
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The pids whose parent is `parent` (PostgreSQL backends are children of the postmaster). */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds of a process tree, sampled now: the root with its reaped children, plus every live
 * child (the list is re-read each time: backends come and go).
 */
export function treeCpu(root: number): number {
  return childPids(root).reduce((s, p) => s + cpuSeconds(p), cpuSeconds(root, true));
}
