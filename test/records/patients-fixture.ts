/** A collection with every kind of sensitive field, for the field-encryption tests. */
import { collection, field } from '../helpers/test-engine.ts';

/** ssn: searchable, unique, masked, readable by the owner only; email: masked for non-doctors; note: no mask. */
export const PATIENTS = collection('patients', [
  field('name', 'text'),
  field('ssn', 'text', { sensitive: true, searchable: true, unique: true, mask: 'last4', read: 'owner = @auth.id' }),
  field('email', 'email', { sensitive: true, mask: 'email', read: "@auth.role = 'doctor'" }),
  field('note', 'text', { sensitive: true, mask: 'full' }),
  field('age', 'number', { sensitive: true, integer: true }),
], { list: "owner = @auth.id || @auth.role = 'doctor'", view: "owner = @auth.id || @auth.role = 'doctor'", create: '@auth.id != null', update: 'owner = @auth.id', delete: 'owner = @auth.id' });

