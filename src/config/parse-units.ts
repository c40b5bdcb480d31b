/** Seconds per duration unit: `s`, `m`, `h`, `d`. */
const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Bytes per size unit (binary: 1kb = 1024 bytes, 1mb = 1024 KiB). */
const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** `'12h'` → 43200 (seconds); null when not `<digits><s|m|h|d>`. A bare number is refused: the unit must be visible. */
export function parseDuration(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * DURATION_UNITS[m[2]];
}

/** `'512kb'` → 524288 (bytes); null when not `<digits><b|kb|mb>` (case-insensitive). */
export function parseSize(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,9})\s*(b|kb|mb)$/i.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
}
