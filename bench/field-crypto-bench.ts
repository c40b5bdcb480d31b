/**
 * Micro-benchmark: encrypt plus decrypt of one sensitive field (AES-256-GCM with its associated
 * data, src/crypto/field-cipher.ts), and one blind index. Target: under 5 µs for seal + open.
 * `tsx bench/field-crypto-bench.ts [--json]`.
 */
import { Keyring } from '../src/crypto/keyring.ts';
import { kekFromEnv, newKekText } from '../src/crypto/kek/local-kek.ts';

const TARGET_US = 5;
const ring = new Keyring(kekFromEnv('BENCH', newKekText()));
await ring.generate('field-data', 'patients', 1);
await ring.generate('blind-index', 'patients', 1);
const place = { collection: 'patients', field: 'ssn', recordId: 'AAAAAAAAAAAAAAAAAAAA', revision: 'BBBBBBBBBBBBBBBB' };
const value = Buffer.from('"123-45-6789"');

/** CPU time of this process (user + system) per operation: a busy machine stretches wall time, not this. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function run(n: number): number {
  const start = cpuUs();
  for (let i = 0; i < n; i++) {
    const sealed = ring.sealField('patients', 1, place, value);
    ring.openField('patients', place, sealed);
  }
  return (cpuUs() - start) / n;
}

run(20_000); // warm-up
const rounds = [run(50_000), run(50_000), run(50_000)].sort((a, b) => a - b);
const us = rounds[1];
const bStart = cpuUs();
for (let i = 0; i < 50_000; i++) ring.blindIndex('patients', 1, `ssn\u0000123-45-${i}`);
const blindUs = (cpuUs() - bStart) / 50_000;
await ring.close();
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ name: 'field seal + open (µs, lower is better)', perSecond: 1e6 / us, us, blindUs, targetUs: TARGET_US })}\n`);
} else {
  process.stdout.write(`seal + open of one field: ${us.toFixed(2)} µs (CPU time, median of 3 × 50,000; target < ${TARGET_US} µs); blind index: ${blindUs.toFixed(2)} µs\n`);
}
process.exit(us < TARGET_US ? 0 : 1);
