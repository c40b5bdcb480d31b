/** The public shape of a record id, for edges that reject a malformed id before any work. */
export { isRecordId } from '../../crypto/random-id.ts';
