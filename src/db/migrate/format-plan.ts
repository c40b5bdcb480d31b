import type { MigrationPlan } from './plan-types.ts';

/**
 * The plan as `strongbox migrate --dry-run` prints it: one numbered line per step, destructive
 * ones flagged, then each step's SQL. Backfill values are bound parameters, shown after the SQL.
 */
export function formatPlan(plan: MigrationPlan): string {
  if (plan.steps.length === 0) return 'No schema changes.\n';
  const destructive = plan.steps.filter((s) => s.destructive).length;
  const lines = [`Schema migration plan (${plan.dialect}): ${plan.steps.length} step(s), ${destructive} destructive.`];
  if (destructive > 0) lines.push('Destructive steps apply only with --allow-destructive.');
  lines.push('');
  plan.steps.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.destructive ? '[DESTRUCTIVE] ' : ''}${s.description}`);
  });
  lines.push('', 'SQL:');
  plan.steps.forEach((s, i) => {
    lines.push(`-- ${i + 1}. ${s.description}`);
    if (s.queries.length === 0) lines.push('-- (no SQL: recorded in _sb_collections only)');
    for (const q of s.queries) {
      lines.push(`${q.sql};`);
      if (q.parameters.length > 0) lines.push(`-- parameters: ${JSON.stringify(q.parameters)}`);
    }
  });
  return lines.join('\n') + '\n';
}
