// Everything a request needs, built once per node by app.ts and passed
// down explicitly (no module-level singletons).
import type { AccessWatch } from './auth/access-watch.js';
import type { Accounts } from './auth/accounts.js';
import type { AccessTokens } from './auth/access-tokens.js';
import type { OperationFeed } from './collab/feed.js';
import type { PresenceRegistry, PresenceState } from './collab/presence.js';
import type { Sequencer } from './collab/sequencer.js';
import type { Bus, CommittedOp, OperationLog } from './collab/types.js';
import type { Config } from './config.js';
import type { Documents } from './documents/documents.js';
import type { RateLimits } from './limits/rate-limits.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Database } from './store/database.js';

export interface Services {
  config: Config;
  logger: Logger;
  db: Database;
  log: OperationLog;
  sequencer: Sequencer;
  /** Per-node live feed of committed ops, shared by all streams of a document. */
  feed: OperationFeed;
  presence: PresenceRegistry;
  opsBus: Bus<CommittedOp>;
  presenceBus: Bus<PresenceState>;
  tokens: AccessTokens;
  accounts: Accounts;
  documents: Documents;
  /** Ends streams and sockets whose access was taken away, on every node. */
  access: AccessWatch;
  rateLimits: RateLimits;
  metrics: Metrics;
}
