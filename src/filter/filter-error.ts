import { StrongboxError } from '../errors/strongbox-error.ts';
import type { ErrorCode } from '../errors/registry.ts';

/** Every filter/sort/fields error names its 0-based position, in the message and in details. */
export function filterError(code: ErrorCode, what: string, pos: number): StrongboxError {
  return new StrongboxError(code, `${what} at position ${pos}`, { position: pos });
}

/** A safe, short rendering of one character for an error message (never echoes control bytes). */
export function describeChar(code: number): string {
  if (code >= 0x21 && code <= 0x7e) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Identifiers are echoed only in this safe alphabet and shortened, so messages stay small. */
export function describeName(name: string): string {
  return `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}'`;
}
