export { createClusterMirror, GRAPHQL_FIELD_MANAGER } from "./mirror.js";
export type { ClusterMirror, MirrorOptions } from "./mirror.js";
