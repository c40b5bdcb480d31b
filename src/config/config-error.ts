import { StrongboxError } from '../errors/strongbox-error.ts';

/** A key path into the config: map keys and sequence indexes. */
export type KeyPath = readonly (string | number)[];

/** Where an issue points: the key itself (unknown key) or its value (bad value). */
export type IssueTarget = 'key' | 'value';

/** Maps key paths to 1-based line:col in the source text; loadConfig builds one from the YAML nodes. */
export interface ConfigSource {
  /** What messages call the file: its base name, never a server path. */
  readonly file: string;
  locate(path: KeyPath, target: IssueTarget): { line: number; col: number } | null;
}

/** One problem, located. `text` is the line the CLI prints. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number | null;
  readonly col: number | null;
  /** e.g. `collections.patients.fields.ssn.pattern`; '' for the whole document */
  readonly path: string;
  readonly message: string;
  readonly text: string;
}

/** More than this many issues are summarized: a broken file should not print megabytes. */
const MAX_ISSUES = 50;

/** ERR_CONFIG carrying every issue found, so the CLI can list them all at once. */
export class ConfigError extends StrongboxError {
  readonly issues: readonly ConfigIssue[];

  constructor(unsorted: readonly ConfigIssue[]) {
    // Reading order is easiest to fix; issues without a position (environment) go last.
    const issues = unsorted.slice().sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.col ?? 0) - (b.col ?? 0));
    const shown = issues.slice(0, MAX_ISSUES).map((i) => i.text);
    if (issues.length > MAX_ISSUES) shown.push(`… and ${issues.length - MAX_ISSUES} more`);
    const message = issues.length === 1
      ? shown[0]
      : `${issues[0]?.file ?? 'config'}: ${issues.length} configuration errors:\n  ${shown.join('\n  ')}`;
    super('ERR_CONFIG', message, { param: issues[0]?.path });
    this.name = 'ConfigError';
    this.issues = Object.freeze(issues);
  }
}

/** Keys are echoed into messages; keep hostile or huge ones short and unambiguous. */
function segmentText(seg: string | number): string {
  if (typeof seg === 'number') return `[${seg}]`;
  if (/^[A-Za-z0-9_-]{1,40}$/.test(seg)) return `.${seg}`;
  const short = seg.length > 40 ? `${seg.slice(0, 40)}…` : seg;
  return `[${JSON.stringify(short)}]`;
}

export function formatPath(path: KeyPath): string {
  return path.map(segmentText).join('').replace(/^\./, '');
}

/** Collects issues while the whole config is validated, then throws them together. */
export class IssueSink {
  readonly #source: ConfigSource;
  readonly #issues: ConfigIssue[] = [];

  constructor(source: ConfigSource) {
    this.#source = source;
  }

  get count(): number {
    return this.#issues.length;
  }

  add(path: KeyPath, message: string, target: IssueTarget = 'value'): void {
    this.addAt(this.#source.locate(path, target), path, message);
  }

  /** For problems found before there is data to walk (YAML syntax): the position is known directly. */
  addAt(pos: { line: number; col: number } | null, path: KeyPath, message: string): void {
    const file = this.#source.file;
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    const pathText = formatPath(path);
    const text = pathText ? `${where}: ${pathText}: ${message}` : `${where}: ${message}`;
    this.#issues.push({ file, line: pos?.line ?? null, col: pos?.col ?? null, path: pathText, message, text });
  }

  /** Throws ConfigError when anything was reported. */
  throwIfAny(): void {
    if (this.#issues.length > 0) throw new ConfigError(this.#issues);
  }
}

/** A source without positions, for configs built in code. */
export function unlocatedSource(file = 'config'): ConfigSource {
  return { file, locate: () => null };
}
