import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A statement that must have vouched for a request before any of the request's statements takes
 * effect or returns rows: on PostgreSQL, the re-read of a session the request was started with
 * from a cache (core/auth/session-store.ts). The first statement of the request carries it in its
 * own round trip (postgres/pipelining.ts), so vouching costs no round trip of its own.
 */
export interface StatementGuard {
  /** Two guards with one key check the same thing (one token): a scope keeps the first. */
  readonly key: string;
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /** Judges the guard statement's rows; throws the error the request must fail with. */
  judge(rows: readonly Record<string, unknown>[]): void;
  /** Runs the guard statement on its own (nothing carried it) and resolves with its rows. */
  runAlone(): Promise<readonly Record<string, unknown>[]>;
}

type State = 'pending' | 'claimed' | 'passed' | 'failed';

/** What a round trip that carried a guard reports: the guard's rows, then the statement's result or failure. */
export interface Carried<T> {
  readonly rows: readonly Record<string, unknown>[];
  /** the guard statement itself failed (the statement did not run) */
  readonly guardFailure?: unknown;
  readonly result?: T;
  readonly failure?: unknown;
  /** the guard went in a round trip of its own */
  readonly alone?: boolean;
}

/** How guards went, in this process (tests and the bench read them). */
export const guardCounts = { carried: 0, alone: 0, refused: 0 };

/**
 * One request's guard. Statements run in the scope (AsyncLocalStorage) obey it: the first one
 * carries the guard, any other waits for the verdict, and after a failed verdict every statement
 * of the request fails with its error. A closed scope (the answer went out) binds nothing, so a
 * timer that happened to start inside a request is not held to it.
 */
export class GuardScope {
  #guard: StatementGuard | null = null;
  #state: State | null = null;
  #verdict: Promise<void> | null = null;
  #error: unknown = null;
  #closed = false;

  /** Adds the request's guard; false when the scope already holds a different one (or is closed). */
  set(guard: StatementGuard): boolean {
    if (this.#closed) return false;
    if (this.#guard !== null) return this.#guard.key === guard.key && this.#state !== 'failed';
    this.#guard = guard;
    this.#state = 'pending';
    return true;
  }

  /** Whether a guard waits for a statement to carry it. */
  get pending(): boolean {
    return !this.#closed && this.#state === 'pending';
  }

  /**
   * Sends the pending guard with a statement: `send` runs both in one round trip and reports the
   * guard's rows and the statement's outcome. The statement's result is returned only when the
   * guard passed; otherwise the guard's error is thrown (and the scope fails). Should the guard
   * statement itself fail, it stays pending and that failure is thrown.
   */
  async carry<T>(send: (guard: StatementGuard) => Promise<Carried<T>>): Promise<T> {
    const guard = this.#guard!;
    this.#state = 'claimed';
    let done!: () => void;
    let refused!: (err: unknown) => void;
    this.#verdict = new Promise<void>((resolve, reject) => { done = resolve; refused = reject; });
    this.#verdict.catch(() => undefined);
    let out: Carried<T>;
    try {
      out = await send(guard);
    } catch (err) {
      this.#state = 'pending';
      done(); // waiters look again
      throw err;
    }
    if (out.guardFailure !== undefined) {
      this.#state = 'pending';
      done();
      throw out.guardFailure;
    }
    if (out.alone === true) guardCounts.alone++;
    else guardCounts.carried++;
    try {
      guard.judge(out.rows);
    } catch (err) {
      guardCounts.refused++;
      this.#state = 'failed';
      this.#error = err;
      refused(err);
      throw err;
    }
    this.#state = 'passed';
    done();
    if (out.failure !== undefined) throw out.failure;
    return out.result as T;
  }

  /**
   * What a statement must wait for before it is sent: null when it may go now (no guard, it
   * passed, or the scope is closed); else a promise that rejects with the guard's error if it
   * refused. A pending guard that no statement carries is run on its own.
   */
  settle(): Promise<void> | null {
    if (this.#closed || this.#state === null || this.#state === 'passed') return null;
    if (this.#state === 'failed') return Promise.reject(this.#error);
    if (this.#state === 'pending') {
      // outside the scope: its own statement must not wait for the verdict it is to give
      return this.carry(async (guard) => ({ rows: await guardScopes.exit(() => guard.runAlone()), result: undefined, alone: true })).then(() => undefined);
    }
    return this.#verdict!.then(() => this.settle() ?? undefined);
  }

  /** The answer went out: later statements in this async context are not the request's. */
  close(): void {
    this.#closed = true;
  }
}

/** The scope of the request being served, where a request runs inside one (PostgreSQL). */
export const guardScopes = new AsyncLocalStorage<GuardScope>();

/** The current request's guard scope, if it is open and holds a guard. */
export function activeGuardScope(): GuardScope | undefined {
  return guardScopes.getStore();
}

/** Runs `fn` outside any request's scope: for timers a request may happen to start (a flush for everyone). */
export function outsideRequests<T>(fn: () => T): T {
  return guardScopes.exit(fn);
}
