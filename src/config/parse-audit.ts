import { isAbsolute, resolve } from 'node:path';
import type { AuditConfig, SyslogConfig } from './config.ts';
import type { IssueSink } from './config-error.ts';
import { parseDuration } from './parse-units.ts';
import { checkKeys, expectMap, own, readInt, readOptString, type RawMap } from './read-value.ts';
import type { KeyPath } from './config-error.ts';

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
    checkKeys(map, ['checkpoints', 'checkpointEvery', 'checkpointInterval', 'syslog'], path, sink, 'audit');
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
    syslog: parseSyslog(own(map, 'syslog'), baseDir, sink),
  };
}

const HOST = /^[A-Za-z0-9.:%-]{1,253}$/;

function filePath(map: RawMap, key: string, p: KeyPath, baseDir: string, sink: IssueSink, required: boolean): string | null {
  const v = readOptString(map, key, p, sink);
  if (v === null) {
    if (required && own(map, key) === undefined) sink.add([...p, key], 'is required');
    return null;
  }
  if (v.trim() === '' || v.includes('\u0000')) {
    sink.add([...p, key], 'expected a file path');
    return null;
  }
  return isAbsolute(v) ? v : resolve(baseDir, v);
}

/** audit.syslog: { host, port (6514), ca, cert, key, serverName, bufferLimit (100000 events), whenFull (fail-closed) } */
function parseSyslog(raw: unknown, baseDir: string, sink: IssueSink): SyslogConfig | null {
  if (raw === undefined || raw === null) return null;
  const p = [...path, 'syslog'];
  const map = expectMap(raw, p, sink);
  if (!map) return null;
  checkKeys(map, ['host', 'port', 'ca', 'cert', 'key', 'serverName', 'bufferLimit', 'whenFull'], p, sink, 'audit.syslog');
  const host = readOptString(map, 'host', p, sink);
  if (host === null || !HOST.test(host)) sink.add([...p, 'host'], 'expected a host name or IP address');
  const serverName = readOptString(map, 'serverName', p, sink);
  const cert = filePath(map, 'cert', p, baseDir, sink, false);
  const key = filePath(map, 'key', p, baseDir, sink, false);
  if ((cert === null) !== (key === null)) sink.add([...p, cert === null ? 'cert' : 'key'], 'cert and key go together (mutual TLS)');
  const whenFull = own(map, 'whenFull') ?? 'fail-closed';
  if (whenFull !== 'fail-closed' && whenFull !== 'fail-open') sink.add([...p, 'whenFull'], "expected 'fail-closed' or 'fail-open'");
  return {
    host: host ?? '',
    port: readInt(map, 'port', p, sink, { min: 1, max: 65_535 }, 6514),
    ca: filePath(map, 'ca', p, baseDir, sink, true) ?? '',
    cert,
    key,
    serverName,
    bufferLimit: readInt(map, 'bufferLimit', p, sink, { min: 1, max: 100_000_000 }, 100_000),
    whenFull: whenFull === 'fail-open' ? 'fail-open' : 'fail-closed',
  };
}
