// Everything a request needs, built once per node by app.ts and passed
// down explicitly (no module-level singletons).
import type { AccessWatch } from './auth/access-watch.ts';
import type { Accounts } from './auth/accounts.ts';
import type { AccessTokens } from './auth/access-tokens.ts';
import type { ApiTokens } from './auth/api-tokens.ts';
import type { OperationFeed } from './collab/feed.ts';
import type { PresenceBatches } from './collab/presence-batches.ts';
import type { PresenceRegistry, PresenceState } from './collab/presence.ts';
import type { Sequencer } from './collab/sequencer.ts';
import type { Bus, CommittedOp, OperationLog } from './collab/types.ts';
import type { Config } from './config.ts';
import type { Activity } from './http/activity.ts';
import type { ShareLinks } from './documents/share-links.ts';
import type { Comments, ThreadView } from './comments/threads.ts';
import type { Suggestions, SuggestionView } from './suggestions/suggestions.ts';
import type { Documents, TitleChange } from './documents/documents.ts';
import type { Versions } from './documents/versions.ts';
import type { RateLimits } from './limits/rate-limits.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { Database } from './store/database.ts';
import type { EventsStamped } from './events/event-pump.ts';
import type { Outbox } from './events/outbox.ts';
import type { Webhooks } from './webhooks/webhooks.ts';

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
  /** Presence gathered per document and window, one bus subscription per document on this node. */
  presenceBatches: PresenceBatches;
  tokens: AccessTokens;
  /** API tokens: agents' and backends' credentials (auth/api-tokens.ts). */
  apiTokens: ApiTokens;
  accounts: Accounts;
  documents: Documents;
  /** Share by link: revocable links that give a role (documents/share-links.ts). */
  shareLinks: ShareLinks;
  /** History sessions, named versions, export and import. */
  versions: Versions;
  /** Comment threads and their live stream. */
  comments: Comments;
  threadsBus: Bus<ThreadView>;
  /** Suggestions (tracked changes) and their live stream. */
  suggestions: Suggestions;
  suggestionsBus: Bus<SuggestionView>;
  /** Renames, for the headers of open editors (documentTitle). */
  titlesBus: Bus<TitleChange>;
  /** The document events outbox (documentEvents) and its bus. */
  outbox: Outbox;
  eventsBus: Bus<EventsStamped>;
  webhooks: Webhooks;
  /** Ends streams and sockets whose access was taken away, on every node. */
  access: AccessWatch;
  rateLimits: RateLimits;
  metrics: Metrics;
  /** Requests being served, for work that waits for a quiet moment (the write-behind of moved placements). */
  activity: Activity;
}
