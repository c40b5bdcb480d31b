/**
 * The policy for tests that need an outside tool (PostgreSQL, SoftHSM2, age, Chromium…): on a
 * developer's machine a missing tool skips its tests loudly; in CI (STRONGBOX_REQUIRE_ALL=1) it
 * fails them, so a green CI run means every test really ran.
 */
import { describe, test } from 'node:test';

export type ToolStatus =
  | { readonly name: string; readonly available: true }
  | { readonly name: string; readonly available: false; readonly reason: string; readonly mustFail: boolean };

export const requireAll = (): boolean => process.env.STRONGBOX_REQUIRE_ALL === '1';

const warned = new Set<string>();

function warnOnce(name: string, reason: string): void {
  if (warned.has(name)) return;
  warned.add(name);
  process.stderr.write(`\n!!!!! SKIPPING tests that need ${name}: ${reason}\n!!!!! (set STRONGBOX_REQUIRE_ALL=1 to make this a failure)\n\n`);
}

/**
 * Asks `probe` whether a tool is there: it returns null when it is, or why it is not.
 * A probe that throws counts as missing, with the error's message as the reason.
 */
export function requireTool(name: string, probe: () => string | null): ToolStatus {
  let reason: string | null;
  try {
    reason = probe();
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (reason === null) return { name, available: true };
  const mustFail = requireAll();
  if (!mustFail) warnOnce(name, reason);
  return { name, available: false, reason, mustFail };
}

/** The skip option for node:test (a string shows as the skip reason), or false to run. */
export function skipUnless(status: ToolStatus): string | false {
  return status.available || status.mustFail ? false : `SKIPPED: ${status.name} missing: ${status.reason}`;
}

/**
 * `describe(title, fn)` when the tool is there; otherwise a skipped suite, or under
 * STRONGBOX_REQUIRE_ALL=1 a suite with one failing test that names the missing tool.
 */
export function describeWithTool(status: ToolStatus, title: string, fn: () => void): void {
  if (status.available) {
    describe(title, fn);
  } else if (status.mustFail) {
    describe(title, () => {
      test(`requires ${status.name}`, () => {
        throw new Error(`${status.name} is required (STRONGBOX_REQUIRE_ALL=1) but missing: ${status.reason}`);
      });
    });
  } else {
    // one skipped test rather than a skipped suite, so the runner's closing "skipped" count shows it
    describe(title, () => {
      test(`needs ${status.name}`, { skip: skipUnless(status) }, () => undefined);
    });
  }
}
