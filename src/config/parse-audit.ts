import { isAbsolute, resolve } from 'node:path';
import type { AuditConfig } from './config.ts';
import type { IssueSink } from './config-error.ts';
import { parseDuration } from './parse-units.ts';
import { checkKeys, expectMap, own, readInt, readOptString, type RawMap } from './read-value.ts';

/** Defaults are the safe choice; each carries its unit. */
export const AUDIT_DEFAULTS = {
  checkpoints: './data/audit-checkpoints', // folder, from the config file's folder
  checkpointEvery: 1000, // events between signed checkpoints
  checkpointInterval: 60, // seconds between signed checkpoints (when there are new events)
} as const;

const path = ['audit'];

/** audit: { checkpoints (folder), checkpointEvery (events, 1..1e6), checkpointInterval (duration, 1s..1d) } */
export function parseAudit(raw: unknown, baseDir: string, sink: IssueSink): AuditConfig {
  let map: RawMap = {};
  if (raw !== undefined && raw !== null) {
    map = expectMap(raw, path, sink) ?? {};
    checkKeys(map, ['checkpoints', 'checkpointEvery', 'checkpointInterval'], path, sink, 'audit');
  }
  const folder = readOptString(map, 'checkpoints', path, sink) ?? AUDIT_DEFAULTS.checkpoints;
  if (folder.trim() === '' || folder.includes('\u0000')) sink.add([...path, 'checkpoints'], 'expected a folder path');
  const checkpointEvery = readInt(map, 'checkpointEvery', path, sink, { min: 1, max: 1_000_000 }, AUDIT_DEFAULTS.checkpointEvery);
  let checkpointInterval: number = AUDIT_DEFAULTS.checkpointInterval;
  const rawInterval = own(map, 'checkpointInterval');
  if (rawInterval !== undefined) {
    const seconds = parseDuration(rawInterval);
    if (seconds === null) sink.add([...path, 'checkpointInterval'], "expected a duration such as '60s' or '5m'");
    else if (seconds < 1 || seconds > 86_400) sink.add([...path, 'checkpointInterval'], 'must be between 1s and 1d');
    else checkpointInterval = seconds;
  }
  return {
    checkpoints: isAbsolute(folder) ? folder : resolve(baseDir, folder),
    checkpointEvery,
    checkpointInterval,
  };
}
