// Topic names, keyed by document id so they shard cleanly (Redis Cluster
// sharded pub/sub hashes the whole name).
export const operationsTopic = (documentId: string) => `doc:${documentId}:ops`;
export const presenceTopic = (documentId: string) => `doc:${documentId}:presence`;
/** Access changes (member removed, document deleted, sessions revoked): rare, so one node-wide topic. */
export const ACCESS_TOPIC = 'access';
