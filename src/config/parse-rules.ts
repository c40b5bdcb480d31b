import { isStrongboxError } from '../errors/strongbox-error.ts';
import { checkExpr } from '../filter/check.ts';
import { parseFilter } from '../filter/parser.ts';
import type { IssueSink, KeyPath } from './config-error.ts';
import { checkKeys, describe, expectMap, own } from './read-value.ts';
import { RULE_NAMES, type CollectionDef, type RuleName, type Rules } from './schema.ts';

export type RuleMode = 'rule' | 'write-rule';

/** `@body.x` is only meaningful when there is a body: create and update. */
export function ruleMode(name: RuleName): RuleMode {
  return name === 'create' || name === 'update' ? 'write-rule' : 'rule';
}

/**
 * Parses and type-checks rule text against the collection, so a typo fails at start-up rather
 * than at the first request. Returns the text when it is valid, null after reporting.
 */
export function checkRule(raw: unknown, collection: CollectionDef, mode: RuleMode, path: KeyPath, sink: IssueSink): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') {
    sink.add(path, `expected a rule string or null, got ${describe(raw)}`);
    return null;
  }
  try {
    checkExpr(parseFilter(raw), { collection, mode });
    return raw;
  } catch (err) {
    // Filter errors carry our own messages (with the position); anything else is not echoed.
    sink.add(path, isStrongboxError(err) ? `invalid rule: ${err.message}` : 'invalid rule');
    return null;
  }
}

/** rules: { list, view, create, update, delete }; each absent or null = admins only (deny by default). */
export function parseRules(raw: unknown, collection: CollectionDef, path: KeyPath, sink: IssueSink): Rules {
  const rules: Record<RuleName, string | null> = { list: null, view: null, create: null, update: null, delete: null };
  if (raw === undefined || raw === null) return rules;
  const map = expectMap(raw, path, sink);
  if (!map) return rules;
  checkKeys(map, RULE_NAMES, path, sink, 'rules');
  for (const name of RULE_NAMES) {
    rules[name] = checkRule(own(map, name), collection, ruleMode(name), [...path, name], sink);
  }
  return rules;
}
