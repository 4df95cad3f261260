// Is this failure "the database is not reachable right now" (restart,
// failover, network, pool exhausted)? Such errors are retryable and reach
// clients as UNAVAILABLE; anything else stays an internal error.

// P2024/P2028: no pool connection (or transaction) within the wait: overload, retryable.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
// PostgreSQL SQLSTATEs: connection exceptions (08…), shutting down or
// starting up (57P01-57P03), too many connections (53300).
const SQLSTATES = /^(08\d{3}|57P0[1-3]|53300)$/;
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && key in value ? (value as Record<string, unknown>)[key] : undefined;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const code = field(error, 'code');
  if (typeof code === 'string' && (PRISMA_CODES.has(code) || NODE_CODES.has(code) || SQLSTATES.test(code))) return true;
  const name = field(error, 'name');
  if (name === 'PrismaClientInitializationError') return true;
  // Prisma 7 driver adapters describe the cause in meta.driverAdapterError.cause.
  const cause = field(field(field(error, 'meta'), 'driverAdapterError'), 'cause') ?? field(error, 'cause');
  const kind = field(cause, 'kind');
  if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
  const originalCode = field(cause, 'originalCode');
  if (typeof originalCode === 'string' && SQLSTATES.test(originalCode)) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
