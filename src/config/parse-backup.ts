import { isAbsolute, resolve } from 'node:path';
import { isBech32 } from '../util/bech32.ts';
import type { BackupConfig } from './config.ts';
import type { IssueSink, KeyPath } from './config-error.ts';
import { parseDuration } from './parse-units.ts';
import { checkKeys, describe, expectMap, isRawMap, own, readInt, type RawMap } from './read-value.ts';

export const BACKUP_DEFAULTS = {
  dir: './data/backups',
  keepCount: 14, // archives
  keepCountMax: 10_000, // archives
  scheduleMin: 5 * 60, // seconds (5m)
  devScheduleMin: 1, // seconds: dev mode (serve --dev) may schedule every second, to watch the scheduler work
  scheduleMax: 30 * 86_400, // seconds (30d)
  keepAgeMin: 3600, // seconds (1h)
  keepAgeMax: 10 * 365 * 86_400, // seconds (10 years)
} as const;

/** An X25519 age public key: "age1" and 58 bech32 characters (32 key bytes and the checksum). */
const RECIPIENT_SHAPE = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;
/** rclone:REMOTE:PATH, with a plain remote name; the path may not start an option. */
const RCLONE_TARGET = /^rclone:([A-Za-z0-9_][A-Za-z0-9_.-]{0,63}):([A-Za-z0-9_./ -][^\0\n\r]{0,1023})?$/;

function durationOrOff(map: RawMap, key: string, path: KeyPath, sink: IssueSink, min: number, max: number, range: string): number | null {
  const raw = own(map, key);
  if (raw === undefined || raw === null || raw === 'off') return null;
  const v = parseDuration(raw);
  if (v === null) sink.add([...path, key], "expected a duration such as '6h' or '1d', or off");
  else if (v < min || v > max) sink.add([...path, key], range);
  else return v;
  return null;
}

function parseRecipients(raw: unknown, path: KeyPath, sink: IssueSink): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    sink.add(path, `expected a list of age public keys (age1…), got ${describe(raw)}`);
    return [];
  }
  const out: string[] = [];
  raw.forEach((r, i) => {
    const p = [...path, i];
    if (typeof r === 'string' && /AGE-SECRET-KEY-/i.test(r)) {
      // said without echoing the value: it is a private key and must not spread further
      sink.add(p, 'this is an age identity (a private key), refused: the server holds only public keys (age1…), so it can write backups it cannot read; keep the identity offline and remove it from this file');
    } else if (typeof r !== 'string' || !RECIPIENT_SHAPE.test(r.trim()) || !isBech32(r.trim(), 'age')) {
      sink.add(p, 'expected an age X25519 public key (age1 followed by 58 characters, as age-keygen prints)');
    } else if (out.includes(r.trim())) {
      sink.add(p, 'this recipient is listed twice');
    } else {
      out.push(r.trim());
    }
  });
  return out;
}

/**
 * backup: { recipients (age public keys), dir (default ./data/backups), schedule (duration or
 * off; default off), keep (count, or { count, age }; default 14), verify (duration or off),
 * offsite (list of rclone:REMOTE:PATH), rcloneConfig (path) }
 */
export function parseBackup(raw: unknown, baseDir: string, sink: IssueSink, dev = false): BackupConfig {
  const path = ['backup'];
  let map: RawMap = {};
  if (raw !== undefined && raw !== null) {
    map = expectMap(raw, path, sink) ?? {};
    checkKeys(map, ['recipients', 'dir', 'schedule', 'keep', 'verify', 'offsite', 'rcloneConfig'], path, sink, 'backup');
  }
  const recipients = parseRecipients(own(map, 'recipients'), [...path, 'recipients'], sink);
  const dirRaw = own(map, 'dir') ?? BACKUP_DEFAULTS.dir;
  let dir = resolve(baseDir, BACKUP_DEFAULTS.dir);
  if (typeof dirRaw !== 'string' || dirRaw.trim() === '' || dirRaw.includes('\0')) sink.add([...path, 'dir'], 'expected a folder path');
  else if (dirRaw.startsWith('rclone:')) sink.add([...path, 'dir'], 'backup.dir is the local folder; put rclone remotes under backup.offsite');
  else dir = isAbsolute(dirRaw) ? dirRaw : resolve(baseDir, dirRaw);
  const min = dev ? BACKUP_DEFAULTS.devScheduleMin : BACKUP_DEFAULTS.scheduleMin;
  const range = dev ? 'must be between 1s and 30d (dev mode)' : 'must be between 5m and 30d';
  const schedule = durationOrOff(map, 'schedule', path, sink, min, BACKUP_DEFAULTS.scheduleMax, range);
  const verify = durationOrOff(map, 'verify', path, sink, min, BACKUP_DEFAULTS.scheduleMax, range);
  const keep = parseKeep(own(map, 'keep'), [...path, 'keep'], sink);
  const offsite: string[] = [];
  const rawOffsite = own(map, 'offsite');
  if (rawOffsite !== undefined && rawOffsite !== null) {
    if (!Array.isArray(rawOffsite)) sink.add([...path, 'offsite'], 'expected a list of rclone:REMOTE:PATH destinations');
    else rawOffsite.forEach((d, i) => {
      if (typeof d === 'string' && RCLONE_TARGET.test(d)) offsite.push(d);
      else sink.add([...path, 'offsite', i], 'expected rclone:REMOTE:PATH (a remote from the rclone config, then a path)');
    });
  }
  const rc = own(map, 'rcloneConfig');
  let rcloneConfig: string | null = null;
  if (rc !== undefined && rc !== null) {
    if (typeof rc !== 'string' || rc.trim() === '' || rc.includes('\0')) sink.add([...path, 'rcloneConfig'], 'expected a file path');
    else rcloneConfig = isAbsolute(rc) ? rc : resolve(baseDir, rc);
  }
  if (schedule !== null && recipients.length === 0) sink.add([...path, 'schedule'], 'scheduled backups need backup.recipients');
  return { recipients, dir, schedule, keep, verify, offsite, rcloneConfig };
}

function parseKeep(raw: unknown, path: KeyPath, sink: IssueSink): BackupConfig['keep'] {
  const range = { min: 1, max: BACKUP_DEFAULTS.keepCountMax };
  if (raw === undefined || raw === null) return { count: BACKUP_DEFAULTS.keepCount, age: null };
  if (typeof raw === 'number') {
    const count = readInt({ keep: raw }, 'keep', path.slice(0, -1), sink, range, BACKUP_DEFAULTS.keepCount);
    return { count, age: null };
  }
  if (!isRawMap(raw)) {
    sink.add(path, "expected a count such as 14, or { count: 14, age: '30d' }");
    return { count: BACKUP_DEFAULTS.keepCount, age: null };
  }
  checkKeys(raw, ['count', 'age'], path, sink, 'backup.keep');
  const count = readInt(raw, 'count', path, sink, range, BACKUP_DEFAULTS.keepCount);
  const age = durationOrOff(raw, 'age', path, sink, BACKUP_DEFAULTS.keepAgeMin, BACKUP_DEFAULTS.keepAgeMax, 'must be between 1h and 3650d');
  return { count, age };
}
