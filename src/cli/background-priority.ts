import { setPriority } from 'node:os';

/**
 * `strongbox backup create` is never urgent: its process yields the CPU to a server on the same
 * machine from its first modules on, at the lowest priority there is (nice 19: about 1.5% of a
 * core beside a busy nice-0 process, where nice 10 took about 10%, and every start of the CLI
 * loads its modules and opens the engine before the backup's own threads begin). main.ts imports
 * this first, so it runs before the rest of the program loads and every thread inherits it (the
 * command lowers it again, to the same value, for in-process callers).
 */
export const BACKGROUND_NICE = 19;

const at = process.argv.indexOf('backup');
if (at >= 2 && process.argv[at + 1] === 'create') {
  try {
    setPriority(BACKGROUND_NICE);
  } catch {
    // best effort: the backup's threads lower themselves too
  }
}
