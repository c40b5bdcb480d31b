import { setPriority } from 'node:os';

/**
 * `strongbox backup create` is never urgent: its process yields the CPU to a server on the same
 * machine from its first modules on. main.ts imports this first, so it runs before the rest of
 * the program loads (the command lowers it again, to the same value, for in-process callers).
 */
export const BACKGROUND_NICE = 10;

const at = process.argv.indexOf('backup');
if (at >= 2 && process.argv[at + 1] === 'create') {
  try {
    setPriority(BACKGROUND_NICE);
  } catch {
    // best effort: the backup's threads lower themselves too
  }
}
