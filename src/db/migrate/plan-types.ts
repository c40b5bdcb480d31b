import type { CompiledQuery } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import type { Dialect } from '../database.ts';

export type StepKind =
  | 'create_collection' | 'drop_collection'
  | 'add_field' | 'drop_field' | 'change_type'
  | 'set_required' | 'drop_required'
  | 'add_index' | 'drop_index' | 'add_unique' | 'drop_unique';

export interface MigrationStep {
  readonly kind: StepKind;
  readonly collection: string;
  readonly field?: string;
  /** Loses data, or existing rows break the new constraint: applies only with allowDestructive. */
  readonly destructive: boolean;
  readonly description: string;
  /** The SQL text of each statement, for --dry-run; values (backfill defaults) are bound parameters. */
  readonly sql: readonly string[];
  /** The same statements with their parameters: what applyMigration executes. */
  readonly queries: readonly CompiledQuery[];
}

export interface MigrationPlan {
  readonly dialect: Dialect;
  /** The schema the plan leads to; applyMigration records it in `_sb_collections`. */
  readonly collections: readonly CollectionDef[];
  readonly steps: readonly MigrationStep[];
}

export function destructiveSteps(plan: MigrationPlan): MigrationStep[] {
  return plan.steps.filter((s) => s.destructive);
}

export function makeStep(s: Omit<MigrationStep, 'sql'>): MigrationStep {
  return { ...s, sql: s.queries.map((q) => q.sql) };
}
