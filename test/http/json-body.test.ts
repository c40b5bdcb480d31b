import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseJsonBody } from '../../src/http/json-body.ts';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

const code = (f: () => unknown): string | null => {
  try { f(); return null; } catch (e) { return e instanceof StrongboxError ? e.code : 'THROWN'; }
};

test('keys inside strings, escaped quotes and colons in values are not mistaken for keys', () => {
  const text = '{"a":"x\\":y","b":["c:",{"d":"\\\\"}],"e" : {"f":"\\"g\\":"}}';
  assert.deepEqual(parseJsonBody(text), JSON.parse(text));
});

test('property: any JSON without duplicate keys parses exactly like JSON.parse', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, '\t'), (v, indent) => {
    const text = JSON.stringify(v, null, indent);
    const parsed = code(() => parseJsonBody(text));
    if (parsed === 'ERR_FORBIDDEN_KEY') return; // __proto__/constructor keys are refused on purpose
    assert.equal(parsed, null, text);
    assert.deepEqual(parseJsonBody(text), JSON.parse(text));
  }), { numRuns: 500 });
});

test('property: repeating any key of any object is refused', () => {
  fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }), fc.nat(), (obj, pick) => {
    const keys = Object.keys(obj);
    const dup = keys[pick % keys.length];
    const text = `${JSON.stringify(obj).slice(0, -1)},${JSON.stringify(dup)}:1}`;
    assert.ok(['ERR_INVALID_JSON', 'ERR_FORBIDDEN_KEY'].includes(String(code(() => parseJsonBody(text)))), text);
  }), { numRuns: 300 });
});
