// Topic names, keyed by document id so they shard cleanly. The {…} hash tag
// puts a document's ops and presence channels (and its presence keys) in one
// Redis Cluster slot: with sharded pub/sub (SPUBLISH/SSUBSCRIBE, redis-cluster.ts)
// all of a document's traffic stays on the shard that owns that slot.
export const operationsTopic = (documentId: string) => `doc:{${documentId}}:ops`;
export const presenceTopic = (documentId: string) => `doc:{${documentId}}:presence`;
/**
 * Access changes (member removed, document deleted, sessions revoked): rare,
 * so one node-wide topic. On a Redis Cluster it is a sharded channel too, on
 * the one slot its whole name hashes to (no hash tag needed for a single
 * name), rather than a classic channel, which a cluster broadcasts to every
 * node over its bus: one shard carries so few messages easily, and the topic
 * shares the documents' subscriber, confirmation and failover recovery
 * (redis-cluster.ts) instead of needing a second kind of subscription.
 */
export const ACCESS_TOPIC = 'access';
/** Comment threads of a document as they change (api/src/comments/threads.ts). */
export const threadsTopic = (documentId: string) => `doc:{${documentId}}:threads`;
/** A document's title as it is renamed (Documents.rename), for the headers of open editors. */
export const titlesTopic = (documentId: string) => `doc:{${documentId}}:title`;
/** Suggestions of a document as they are made and settled (api/src/suggestions/suggestions.ts). */
export const suggestionsTopic = (documentId: string) => `doc:{${documentId}}:suggestions`;
