import type { ErrorCode } from '../../errors/registry.ts';
import { StrongboxError } from '../../errors/strongbox-error.ts';

/** A request the edge refuses, with the headers its error reply must carry (Retry-After…). */
export class EdgeRejection extends StrongboxError {
  readonly replyHeaders: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, replyHeaders: Readonly<Record<string, string>> = {}) {
    super(code);
    this.name = 'EdgeRejection';
    this.replyHeaders = replyHeaders;
  }
}
