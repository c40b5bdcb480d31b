/**
 * The config lines both benches share: registration and the rate limiter stay on (their
 * bookkeeping is measured) with budgets no benchmark reaches, and enough connections per address.
 */
export const BENCH_LIMITS_YAML = `auth: { register: true, registerPerIp: 100000 }
rateLimit: { auth: { ip: 100000000 }, write: { ip: 100000000, account: 100000000 }, read: { ip: 100000000, account: 100000000 } }
limits: { connectionsPerIp: 1000 }
`;
