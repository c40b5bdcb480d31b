import assert from 'node:assert/strict';
import { StrongboxError } from '../../src/errors/strongbox-error.ts';

/** Asserts fn throws a StrongboxError with this code, naming this position in details and message. */
export function assertFilterError(fn: () => unknown, code: string, position: number, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StrongboxError, `not a StrongboxError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.details?.position, position, err.message);
    assert.match(err.message, new RegExp(`at position ${position}$`));
    if (message) assert.match(err.message, message);
    return true;
  });
}
