import {
  isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap,
} from 'yaml';
import { IssueSink, type ConfigSource, type IssueTarget, type KeyPath } from './config-error.ts';

/** An anchor may be expanded at most this often; blocks "billion laughs" alias bombs. */
export const MAX_ALIAS_COUNT = 20;

/** Our wording for the yaml package's error codes; its own messages are never shown. */
const YAML_MESSAGES: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'duplicate key',
  MULTIPLE_DOCS: 'the file must contain exactly one YAML document',
  RESOURCE_EXHAUSTION: 'the YAML is nested too deeply',
  TAB_AS_INDENT: 'tabs are not allowed for indentation',
  BAD_INDENT: 'bad indentation',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
};

export interface ParsedYaml {
  readonly raw: unknown;
  readonly source: ConfigSource;
}

/**
 * Parses strongbox.yaml strictly: YAML 1.2 core schema, unique keys, no merge keys, no tags at all
 * (so `!!js/function`, `!!binary` and custom tags are refused), scalar keys only, and a bounded alias
 * expansion. Throws ConfigError with every syntax problem located.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    // uniqueKeys is checked below instead: the yaml package's own check is quadratic in the key count.
    lineCounter, version: '1.2', schema: 'core', merge: false, uniqueKeys: false, strict: true, prettyErrors: false,
  });
  const source = yamlSource(doc, lineCounter, file);
  const sink = new IssueSink(source);
  const at = (offset: number | undefined) => (offset === undefined ? null : lineCounter.linePos(offset));
  for (const err of [...doc.errors, ...doc.warnings]) {
    if (err.code === 'TAG_RESOLVE_FAILED') continue; // reported below with every other tag
    sink.addAt(at(err.pos[0]), [], YAML_MESSAGES[err.code] ?? `YAML syntax error (${err.code.toLowerCase().replace(/_/g, ' ')})`);
  }
  visit(doc, {
    Node(_key, node) {
      if (node.tag !== undefined) sink.addAt(at(node.range?.[0]), [], 'YAML tags (such as !!js/function or !!binary) are not allowed');
    },
    Map(_key, map) {
      // Keys compare as the strings they become, so `1:` and `"1":` collide as they would in the data.
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) {
          sink.addAt(at((pair.key as Node | null)?.range?.[0] ?? map.range?.[0]), [], 'keys must be plain strings');
        } else if (seen.has(String(pair.key.value))) {
          sink.addAt(at(pair.key.range?.[0]), [], 'duplicate key');
        } else seen.add(String(pair.key.value));
      }
    },
  });
  sink.throwIfAny();
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // The yaml package throws ReferenceError for alias bombs; its message is not ours to show.
    sink.addAt(null, [], `aliases expand too much (more than ${MAX_ALIAS_COUNT} uses of an anchor)`);
  }
  sink.throwIfAny();
  return { raw, source };
}

/** Finds the node for a key path: the key itself or its value; for a missing key, the nearest parent key. */
function yamlSource(doc: Document, lc: LineCounter, file: string): ConfigSource {
  // Per-mapping key index, so reporting thousands of issues stays linear.
  const indexes = new WeakMap<object, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
      indexes.set(map, index);
    }
    return index.get(key);
  };
  const locate = (path: KeyPath, target: IssueTarget) => {
    let node: unknown = doc.contents;
    let keyNode: Node | null = null;
    let matched = 0;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc);
      let next: { key: Node | null; value: unknown } | null = null;
      if (isMap(node)) {
        const pair = pairOf(node, String(seg));
        if (pair) next = { key: pair.key as Node, value: pair.value };
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        next = { key: null, value: node.items[seg] };
      }
      if (!next) break;
      keyNode = next.key;
      node = next.value ?? next.key; // `key:` with no value points at the key
      matched += 1;
    }
    const fullMatch = matched === path.length;
    const target0 = (target === 'key' || !fullMatch) && keyNode ? keyNode : node;
    const offset = (isScalar(target0) || isCollection(target0) || isAlias(target0)) ? target0.range?.[0] : undefined;
    return offset === undefined ? null : lc.linePos(offset);
  };
  return { file, locate };
}
