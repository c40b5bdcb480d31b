import { isIP } from 'node:net';

/** An address range: the network as bytes (4 or 16) and the prefix length. */
export interface Cidr {
  readonly text: string;
  readonly bytes: readonly number[]; // a plain array, so the config can be deep-frozen
  readonly prefix: number;
}

/** IPv4 (`10.1.2.3`) or IPv6 (`::1`, `fe80::1%eth0` without the zone) as bytes; null otherwise. */
export function addressBytes(address: string): Uint8Array | null {
  const a = address.replace(/%.*$/, '');
  const kind = isIP(a);
  if (kind === 4) return Uint8Array.from(a.split('.').map(Number));
  if (kind !== 6) return null;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets first.
  let text = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const n = parseInt(g, 16); out[i * 2] = n >> 8; out[i * 2 + 1] = n & 0xff; });
  return out;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`, how dual-stack sockets report IPv4 peers) as its IPv4 bytes. */
export function canonicalBytes(address: string): Uint8Array | null {
  const b = addressBytes(address);
  if (b === null || b.length === 4) return b;
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

/** `10.0.0.0/8`, `2001:db8::/32` or a single address; null when malformed or host bits are set. */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const [addr, bits, extra] = text.trim().split('/');
  if (extra !== undefined || addr.includes('%')) return null;
  const bytes = addressBytes(addr);
  if (bytes === null) return null;
  const max = bytes.length * 8;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return null;
  for (let i = 0; i < max; i++) {
    if (i >= prefix && (bytes[i >> 3] & (0x80 >> (i & 7))) !== 0) return null;
  }
  return { text: `${addr}/${prefix}`, bytes: Array.from(bytes), prefix };
}

/** True when `address` (a socket's remoteAddress) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const b = canonicalBytes(address);
  if (b === null || b.length !== cidr.bytes.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (b[i] !== cidr.bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (b[full] & mask) === (cidr.bytes[full] & mask);
}

/** A matcher for a list of ranges, memoizing per address (a busy server sees few distinct peers). */
export function cidrMatcher(cidrs: readonly Cidr[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const seen = new Map<string, boolean>();
  return (address) => {
    let hit = seen.get(address);
    if (hit === undefined) {
      hit = cidrs.some((c) => cidrContains(c, address));
      if (seen.size >= 10_000) seen.clear();
      seen.set(address, hit);
    }
    return hit;
  };
}
