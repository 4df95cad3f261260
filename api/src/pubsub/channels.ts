// Topic names, keyed by document id so they shard cleanly. The {…} hash tag
// puts a document's ops and presence channels (and its presence keys) in one
// Redis Cluster slot, which sharded pub/sub (SPUBLISH/SSUBSCRIBE) needs.
export const operationsTopic = (documentId: string) => `doc:{${documentId}}:ops`;
export const presenceTopic = (documentId: string) => `doc:{${documentId}}:presence`;
/** Access changes (member removed, document deleted, sessions revoked): rare, so one node-wide topic. */
export const ACCESS_TOPIC = 'access';
/** Comment threads of a document as they change (api/src/comments/threads.ts). */
export const threadsTopic = (documentId: string) => `doc:{${documentId}}:threads`;
