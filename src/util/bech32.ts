/** Bech32 (BIP 173) checksum check, for age recipients (`age1…`). Pure: no decoding of the key. */
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk;
}

/** True when `s` is lower-case bech32 with prefix `hrp` and a valid checksum. */
export function isBech32(s: string, hrp: string): boolean {
  if (s.length > 1000 || s !== s.toLowerCase() || !s.startsWith(`${hrp}1`)) return false;
  const data: number[] = [];
  for (const ch of s.slice(hrp.length + 1)) {
    const v = CHARSET.indexOf(ch);
    if (v < 0) return false;
    data.push(v);
  }
  if (data.length < 6) return false;
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  return polymod([...expanded, ...data]) === 1;
}

/**
 * Decodes bech32 `s` (either case, not mixed) with prefix `hrp` into bytes; null when the
 * prefix, characters, checksum or padding are wrong.
 */
export function decodeBech32(s: string, hrp: string): Uint8Array | null {
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return null;
  const lower = s.toLowerCase();
  if (!isBech32(lower, hrp)) return null;
  const data = [...lower.slice(hrp.length + 1, -6)].map((c) => CHARSET.indexOf(c));
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const v of data) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return null;
  return Uint8Array.from(out);
}
