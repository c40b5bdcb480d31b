import type { Kysely } from 'kysely';
import type { CollectionDef } from '../../config/schema.ts';
import { relationReason } from '../../config/field-values/validate-value.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';
import type { Expr } from '../../filter/ast.ts';
import { compile, type QueryEnv } from './record-query.ts';
import type { RecordValues } from './validate-input.ts';

/** What a caller may see of a target collection: its view rule, and the env to compile it in. */
export interface RelationTargets {
  readonly collection: (name: string) => CollectionDef | undefined;
  readonly viewRule: (target: CollectionDef) => Expr | 'all' | 'none';
  readonly env: (target: CollectionDef) => QueryEnv;
}

/**
 * Relation values must name a record that exists and that the caller may view; one answer for
 * both (ERR_VALIDATION naming the fields), so a write cannot probe for records it may not see.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function checkRelations(trx: Kysely<any>, def: CollectionDef, values: RecordValues, targets: RelationTargets): Promise<void> {
  const problems: Record<string, string> = {};
  for (const f of def.fields) {
    const v = values[f.name];
    if (f.type !== 'relation' || typeof v !== 'string') continue;
    const target = targets.collection(f.collection);
    const rule = target ? targets.viewRule(target) : 'none';
    let visible = false;
    if (target && rule !== 'none') {
      let q = trx.selectFrom(target.name).select('id').where('id', '=', v);
      if (rule !== 'all') q = q.where(compile(rule, targets.env(target)));
      visible = (await q.executeTakeFirst()) !== undefined;
    }
    if (!visible) problems[f.name] = relationReason(f);
  }
  if (Object.keys(problems).length > 0) {
    throw new StrongboxError('ERR_VALIDATION', `invalid fields: ${Object.keys(problems).join(', ')}`, { fields: problems });
  }
}
