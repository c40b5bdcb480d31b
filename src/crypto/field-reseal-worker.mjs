// Re-encryption worker thread for src/crypto/field-reseal-pool.ts: opens each ciphertext of a
// page with the data key it names and seals it again under the target key, at the same place
// (so the associated data is unchanged). The cipher itself is src/crypto/field-cipher.ts, loaded
// through tsx (Node 20's loader does not reach worker threads).
//
// Protocol. In: { id, keys: ArrayBuffer (32 bytes per entry of `versions`, transferred),
// versions, target, collection, fields, ids, revisions, stored, field, row } where item i is
// stored[i] of field fields[field[i]] of record ids[row[i]] at revision revisions[row[i]].
// Out: { id, ok: true, sealed } or { id, ok: false, reason } (a FieldDecryptError's reason: it
// names the place, never a key or a value). The keys are zeroed when the page is done, whatever
// its outcome; nothing is ever logged here.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

if (!parentPort) throw new Error('field-reseal-worker.mjs runs only as a worker thread');
register();
const { openField, sealField, fieldKeyId, FieldDecryptError } = await import('./field-cipher.ts');
const KEY_BYTES = 32;

function reseal(msg) {
  const all = Buffer.from(msg.keys);
  try {
    const byVersion = new Map();
    for (let k = 0; k < msg.versions.length; k++) byVersion.set(msg.versions[k], all.subarray(k * KEY_BYTES, (k + 1) * KEY_BYTES));
    const target = byVersion.get(msg.target);
    if (target === undefined) return { id: msg.id, ok: false, reason: `no live data key ${msg.collection}/v${msg.target}` };
    const sealed = new Array(msg.stored.length);
    const place = { collection: msg.collection, field: '', recordId: '', revision: '' };
    for (let i = 0; i < msg.stored.length; i++) {
      const bytes = Buffer.from(msg.stored[i], 'base64');
      const v = fieldKeyId(bytes);
      if (v === null) return { id: msg.id, ok: false, reason: 'not a Strongbox field ciphertext (truncated or foreign)' };
      const key = byVersion.get(v);
      if (key === undefined) return { id: msg.id, ok: false, reason: `no live data key ${msg.collection}/v${v}` };
      place.field = msg.fields[msg.field[i]];
      place.recordId = msg.ids[msg.row[i]];
      place.revision = msg.revisions[msg.row[i]];
      const plain = openField(key, place, bytes);
      try {
        sealed[i] = sealField(target, msg.target, place, plain).toString('base64');
      } finally {
        plain.fill(0);
      }
    }
    return { id: msg.id, ok: true, sealed };
  } catch (err) {
    return { id: msg.id, ok: false, reason: err instanceof FieldDecryptError ? err.reason : 're-encryption failed in the worker' };
  } finally {
    all.fill(0);
  }
}

parentPort.on('message', (msg) => parentPort.postMessage(reseal(msg)));
parentPort.postMessage({ ready: true });
