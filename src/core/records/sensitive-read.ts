import type { FieldDef } from '../../config/schema.ts';
import { deniedFields, projectRow, type ReadPlan } from './read-projection.ts';
import { hasMaskColumn } from './sensitive-columns.ts';
import { maskValue } from './masks.ts';
import type { RecordLocation, SensitiveStage } from './stages.ts';

/** One row's output and the sensitive fields whose plaintext it reveals (for the read audit). */
export interface SensitiveOutput {
  readonly record: Record<string, unknown>;
  readonly revealed: readonly string[];
}

/**
 * Decrypts exactly what this reader may see of one row: fields whose read rule holds are
 * decrypted; the others are shown by their mask (the mask column is decrypted, not the value),
 * or left out when the field has no mask.
 */
export function outputSensitive(
  stage: SensitiveStage,
  loc: RecordLocation,
  plan: ReadPlan,
  row: Readonly<Record<string, unknown>>,
  decoded: Record<string, unknown>,
): SensitiveOutput | Promise<SensitiveOutput> {
  const denied = deniedFields(plan, row);
  const reveal: FieldDef[] = [];
  const mask: FieldDef[] = [];
  for (const f of plan.sensitive) {
    if (!plan.maskOnly.has(f.name) && !denied.has(f.name)) reveal.push(f);
    else if (hasMaskColumn(f)) mask.push(f);
  }
  const plain = stage.decode(loc, row, { reveal, mask });
  return plain instanceof Promise
    ? plain.then((p) => sensitiveOutputOf(plan, row, decoded, reveal, mask, p))
    : sensitiveOutputOf(plan, row, decoded, reveal, mask, plain);
}

/** The row's output once its sensitive values are open (no closure per row: tsx names each one at runtime). */
function sensitiveOutputOf(plan: ReadPlan, row: Readonly<Record<string, unknown>>, decoded: Record<string, unknown>,
  reveal: readonly FieldDef[], mask: readonly FieldDef[], plain: Record<string, unknown>): SensitiveOutput {
  const masked = new Set(mask.filter((f) => Object.hasOwn(plain, f.name)).map((f) => f.name));
  const record = projectRow(plan, row, Object.assign(decoded, plain), masked);
  return { record, revealed: reveal.filter((f) => row[f.name] !== null && row[f.name] !== undefined).map((f) => f.name) };
}

/**
 * A create's answer, from the values the caller just sent rather than from the ciphertexts just
 * stored: the same record a read by this caller would give (plaintext where the field's read
 * rule holds, the mask where it does not), without decrypting anything and without a read
 * event, since it shows the caller only what they sent (the create's own event names the fields).
 */
export function outputWritten(
  plan: ReadPlan,
  row: Readonly<Record<string, unknown>>,
  decoded: Record<string, unknown>,
  sent: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const denied = deniedFields(plan, row);
  const plain: Record<string, unknown> = Object.create(null);
  const masked = new Set<string>();
  for (const f of plan.sensitive) {
    const v = Object.hasOwn(sent, f.name) ? sent[f.name] : null;
    const present = v !== null && v !== undefined;
    if (!plan.maskOnly.has(f.name) && !denied.has(f.name)) {
      plain[f.name] = present ? JSON.parse(JSON.stringify(v)) : null; // as stored and decoded
    } else if (hasMaskColumn(f) && present) {
      const m = maskValue(f.mask ?? 'full', v);
      if (m !== null) {
        plain[f.name] = m;
        masked.add(f.name);
      }
    }
  }
  return projectRow(plan, row, Object.assign(decoded, plain), masked);
}
