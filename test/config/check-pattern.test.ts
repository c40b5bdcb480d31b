import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patternProblem } from '../../src/config/check-pattern.ts';

test('ordinary patterns are accepted', () => {
  for (const p of [
    String.raw`^\d{3}-\d{2}-\d{4}$`, '^[A-Z][a-z]+$', String.raw`^(\+\d{1,3})?\d{6,14}$`, '^(?:ab|cd){2}$',
    String.raw`^\p{Lu}+$`, '^[(+)*]+$', String.raw`^\(a+\)+$`, '^(?<year>[0-9]{4})$', '^(a|b)+$', String.raw`^(\d{3}-){2}\d{4}$`,
  ]) assert.equal(patternProblem(p), null, p);
});

test('invalid patterns are refused without echoing the engine message', () => {
  for (const p of ['(', '[a-', '*a', String.raw`\p{Nope}`, 'a{2,1}']) assert.equal(patternProblem(p), 'invalid regular expression', p);
});

test('nested quantifiers are refused as ReDoS risks', () => {
  for (const p of ['(a+)+', '^(a+)+$', String.raw`(\w*\s?)*`, '((ab)*c)+', '(?:a*)*', '(a|aa+)+', String.raw`(\d+){2,}`, '([a-z]+)*@', '(x+){1,100}']) {
    assert.match(patternProblem(p) ?? '', /nests quantifiers/, p);
  }
});

test('overlong patterns are refused', () => {
  assert.match(patternProblem('a'.repeat(1001)) ?? '', /longer than 1000/);
});
