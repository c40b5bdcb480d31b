import type { Leadership } from '../jobs/job-runner.ts';

/**
 * Which instance forwards the trail to a sink (syslog-forwarder.ts). With many instances on
 * PostgreSQL it is the job runner's `leadership(name)`: a session advisory lock on the runner's
 * own connection, released when the leader dies, so the next instance to ask takes over.
 */
export type SinkLeadership = Leadership;

/** The leadership of a forwarder used on its own (tests, tools): it always leads. */
export const SOLE_LEADER: SinkLeadership = { lead: async () => true, close: async () => undefined };
