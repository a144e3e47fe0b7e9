/**
 * The management API and the node API, defined once and used by both sides. JSON over HTTP;
 * every request in both directions is signed (see signing.ts); no state changes over GET.
 *
 *   work node  --(register, heartbeat, operations)-->  management node (BIND, default :14000)
 *   management --(health, load/unload, storages)-->     work node (its CLUSTER_NODE_URL)
 */

import {
  cacheInvalidation,
  dataSourceDefinition,
  dataSourceName,
  heartbeatRequest,
  nodeName,
  registerRequest,
  storageName,
  storageSpec,
} from "./validate.js";

/** Version prefix of every path; a breaking change gets a new prefix and both are served for a while. */
export const API_VERSION = "v1";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/**
 * One operation of an API: its method and its path pattern, in Hono's `:param` syntax, from the API's
 * base URL. Servers mount `pattern` as is (`app.on(route.method, route.pattern, ...)`) and read the
 * request with `readRequest` (middleware.ts), which applies `params` and `body`; clients fill the
 * pattern with `routePath`. Every check throws BadRequest naming the field (validate.ts).
 */
export interface Route<Pattern extends string = string, Body = undefined> {
  readonly method: HttpMethod;
  readonly pattern: Pattern;
  /** The check of each path parameter. */
  readonly params: { readonly [Name in RouteParam<Pattern>]: (value: string) => string };
  /** The check of the JSON body, given the checked path parameters; absent: the route takes none. */
  readonly body?: (body: unknown, params: RouteParams<Pattern>) => Body;
}

/** The names of a pattern's `:param` segments. */
export type RouteParam<Pattern extends string> = Pattern extends `${string}:${infer Name}/${infer Rest}`
  ? Name | RouteParam<Rest>
  : Pattern extends `${string}:${infer Name}`
    ? Name
    : never;

export type RouteParams<Pattern extends string> = { [Name in RouteParam<Pattern>]: string };

function route<const Pattern extends string, Body = undefined>(
  method: HttpMethod,
  pattern: Pattern,
  checks: Pick<Route<Pattern, Body>, "params" | "body">,
): Route<Pattern, Body> {
  return { method, pattern, ...checks };
}

/** The path of `route` with its parameters filled in, each percent-encoded. */
export function routePath<Pattern extends string>(
  route: Route<Pattern, unknown>,
  params: RouteParams<Pattern>,
): string {
  const values: Record<string, string> = params;
  return route.pattern.replace(/:([A-Za-z]+)/gu, (_, name: string) => encodeURIComponent(values[name] ?? ""));
}

const dataSourceParam = { name: dataSourceName };
const storageParam = { name: (value: string) => storageName(value) };
const nodeParam = { node: (value: string) => nodeName(value, "the node name") };
const management = `/${API_VERSION}` as const;

/**
 * The management API, served by the management node: the one list of its operations, each with its
 * route. Its typed client (ManagementClient) has one method per key.
 */
export const managementRoutes = {
  /** RegisterNodeRequest -> RegisterNodeResponse. Registering again with the same name replaces the entry. */
  register: route("POST", `${management}/nodes`, { params: {}, body: registerRequest }),
  /** -> NodesResponse. */
  nodes: route("GET", `${management}/nodes`, { params: {} }),
  /** HeartbeatRequest -> HeartbeatResponse; 404 NODE_NOT_REGISTERED tells the node to register again. */
  heartbeat: route("POST", `${management}/nodes/:node/heartbeat`, {
    params: nodeParam,
    body: heartbeatRequest,
  }),
  /** -> 204: the node leaves (SIGTERM). */
  deregister: route("DELETE", `${management}/nodes/:node`, { params: nodeParam }),
  /** -> ClusterOperationResult: load or reload on every ready node. */
  loadDataSource: route("POST", `${management}/data-sources/:name/load`, { params: dataSourceParam }),
  /** -> ClusterOperationResult: unload from every ready node. */
  unloadDataSource: route("POST", `${management}/data-sources/:name/unload`, { params: dataSourceParam }),
  /** -> DataSourceStatusResponse: the status on every registered node. */
  dataSourceStatus: route("GET", `${management}/data-sources/:name/status`, { params: dataSourceParam }),
  /**
   * Managed clusters only (NodeClusterConfig.managed): DataSourceDefinition -> ClusterOperationResult
   * creates or updates the data source's custom resource and answers once its reconcile finished (the
   * core-database row written, loaded or unloaded on every ready node). 409 CONFLICT: a field is
   * managed by someone else.
   */
  putDataSource: route("PUT", `${management}/data-sources/:name`, {
    params: dataSourceParam,
    body: (body, params) => dataSourceDefinition(body, params.name),
  }),
  /** Managed clusters only: -> ClusterOperationResult, deletes it (unloaded everywhere, row removed). */
  deleteDataSource: route("DELETE", `${management}/data-sources/:name`, { params: dataSourceParam }),
  /** -> StoragesResponse (secrets masked). */
  storages: route("GET", `${management}/storages`, { params: {} }),
  /** StorageSpec -> ClusterOperationResult. */
  registerStorage: route("PUT", `${management}/storages/:name`, {
    params: storageParam,
    body: (body, params) => storageSpec(body, params.name),
  }),
  /** -> ClusterOperationResult. */
  unregisterStorage: route("DELETE", `${management}/storages/:name`, { params: storageParam }),
  /**
   * CacheInvalidation -> ClusterOperationResult: relayed to every ready node's cache (when the
   * shared cache is not Redis, whose pub/sub carries them itself).
   */
  invalidateCache: route("POST", `${management}/cache/invalidations`, {
    params: {},
    body: cacheInvalidation,
  }),
} as const;

const node = `/cluster/${API_VERSION}` as const;

/** The node API, served by every work node under its own URL; its typed client is NodeClient. */
export const nodeRoutes = {
  /** -> NodeHealth. */
  health: route("GET", `${node}/health`, { params: {} }),
  /** -> NodeOperationResult. */
  loadDataSource: route("POST", `${node}/data-sources/:name/load`, { params: dataSourceParam }),
  /** -> NodeOperationResult; a source the node does not know is not loaded there: success. */
  unloadDataSource: route("POST", `${node}/data-sources/:name/unload`, { params: dataSourceParam }),
  /** -> NodeDataSourceStatus. */
  dataSourceStatus: route("GET", `${node}/data-sources/:name/status`, { params: dataSourceParam }),
  /** -> NodeStoragesResponse (secrets masked). */
  storages: route("GET", `${node}/storages`, { params: {} }),
  /** StorageSpec -> NodeOperationResult. */
  registerStorage: route("PUT", `${node}/storages/:name`, {
    params: storageParam,
    body: (body, params) => storageSpec(body, params.name),
  }),
  /** -> NodeOperationResult; a storage the node does not have is a success. */
  unregisterStorage: route("DELETE", `${node}/storages/:name`, { params: storageParam }),
  /** CacheInvalidation -> NodeOperationResult: drop the matching entries of the node's L1. */
  invalidateCache: route("POST", `${node}/cache/invalidations`, { params: {}, body: cacheInvalidation }),
} as const;

/** Where each API's routes start: servers check signatures on everything under it. */
export const apiRoots = { management, node } as const;

// ---- membership -----------------------------------------------------------------------------

export interface RegisterNodeRequest {
  /** CLUSTER_NODE_NAME: unique in the cluster. */
  name: string;
  /** CLUSTER_NODE_URL: where the management node reaches this node. */
  url: string;
  /** The node's software version; other versions are allowed (rolling upgrades). */
  version: string;
}

export interface RegisterNodeResponse {
  node: NodeInfo;
  /** The cluster configuration the node must apply before it reports ready. */
  config: NodeClusterConfig;
  /** How often the node should heartbeat. */
  heartbeatIntervalMs: number;
  /**
   * How long a node should wait for a cluster operation: the management node's per-node TIMEOUT
   * plus a margin, so a node never gives up on an operation that is still within its time.
   */
  operationTimeoutMs: number;
}

export interface HeartbeatRequest {
  url: string;
  version: string;
  /** Whether the node has converged to the cluster configuration and serves traffic. */
  ready: boolean;
  /** Why it is not ready, or "". */
  error: string;
  /** `version` of the last NodeClusterConfig the node applied. */
  configVersion: string;
}

export interface HeartbeatResponse {
  node: NodeInfo;
  /** Present when the cluster configuration changed since the node applied it: apply it. */
  config?: NodeClusterConfig;
}

/** A registered node as the management node sees it (hugr's `cluster_nodes`). */
export interface NodeInfo {
  name: string;
  url: string;
  version: string;
  ready: boolean;
  /** ISO 8601: the last successful heartbeat or health check. */
  lastSeen: string;
  /** Why the node is not ready, or "". */
  error: string;
}

export interface NodesResponse {
  nodes: NodeInfo[];
}

// ---- desired state --------------------------------------------------------------------------

/** What every node of the cluster must apply: distributed at registration. */
export interface NodeClusterConfig {
  /** Content hash: equal versions mean equal configurations. */
  version: string;
  auth: AuthSettings;
  /**
   * Data sources the cluster loaded or unloaded explicitly. A node loads every enabled data source
   * of the core database (as a single node does at start), except those in `unloaded`.
   */
  dataSources: { loaded: string[]; unloaded: string[] };
  /** Object storages registered cluster-wide, with their credentials (only inside signed requests). */
  storages: StorageSpec[];
  /**
   * "kubernetes": custom resources are the source of truth for data sources and storages. A node
   * then never writes data sources to the core database itself: insert, update and delete go to the
   * management API (managementRoutes.putDataSource), which turns them into changes of the resources.
   * Absent: the node writes the core database (standalone, as hugr does).
   */
  managed?: "kubernetes";
}

/** A data source as a node sends it to be created or replaced (hugr's data_sources fields). */
export interface DataSourceDefinition {
  name: string;
  type: string;
  prefix: string;
  description: string;
  /** May carry a password: the operator keeps such a path in a Secret, never in the resource. */
  path: string;
  as_module: boolean;
  self_defined: boolean;
  read_only: boolean;
  disabled: boolean;
  catalogs: { name: string; type: string; description: string; path: string }[];
}

/**
 * Authentication settings configured on the management node and applied by every node: hugr's
 * environment variables (ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, ALLOW_MANAGED_API_KEYS,
 * OIDC_*) and the contents of its auth file. Work nodes turn them into the policy they enforce with
 * `buildAuthPolicy` (@hugr/common), which applies the defaults and hugr's merge rules.
 */
export interface AuthSettings {
  /** ALLOWED_ANONYMOUS, default true. */
  allowedAnonymous: boolean;
  /**
   * ANONYMOUS_ROLE; absent: not set, and the policy's default applies (admin when nothing at all is
   * configured, as in hugr; otherwise public).
   */
  anonymousRole?: string;
  /** SECRET_KEY: full admin access with the x-hugr-secret-key header. */
  secretKey?: string;
  /** ALLOW_MANAGED_API_KEYS: keys stored in core.api_keys, sent in x-hugr-api-key. Absent: false. */
  managedApiKeys?: boolean;
  /** AUTH_CONFIG_FILE, read by the management node, if one is configured. */
  authConfig?: AuthConfigFile;
  oidc?: {
    issuer: string;
    clientId: string;
    cookieName?: string;
    /** OIDC_SCOPE_ROLE_PREFIX; absent: hugr's "hugr:". */
    scopeRolePrefix?: string;
    usernameClaim?: string;
    userIdClaim?: string;
    roleClaim?: string;
    /** OIDC_TIMEOUT in milliseconds: discovery and key fetches; absent: 10 s. */
    timeoutMs?: number;
    /** OIDC_TLS_INSECURE: skip TLS verification of the issuer; absent: false. */
    tlsInsecure?: boolean;
  };
}

/** hugr's auth file as read: its contents and how to parse them (hugr decides by the extension). */
export interface AuthConfigFile {
  /** Where it was read from, for messages: AUTH_CONFIG_FILE's path, or a Secret and its key. */
  name: string;
  /** ".yaml"/".yml": YAML with hugr's kebab-case keys; ".json": JSON with snake_case keys. */
  format: "yaml" | "json";
  contents: string;
}

/**
 * Cached results a node dropped, for the others to drop from their L1: those carrying any of `tags`,
 * or every result of the cluster (`scope: "all"`). `origin` is the sending cache's id: it ignores its
 * own message.
 */
export type CacheInvalidation =
  { origin: string; scope: "tags"; tags: string[] } | { origin: string; scope: "all" };

/** An object storage (hugr's register_object_storage arguments). `key` and `secret` are credentials. */
export interface StorageSpec {
  type: string;
  name: string;
  /** Bucket name or bucket sub-path. */
  scope: string;
  key: string;
  secret: string;
  region: string;
  endpoint: string;
  useSsl: boolean;
  /** "path" or "vhost". */
  urlStyle: string;
  urlCompatibility: boolean;
  kmsKeyId: string;
  accountId: string;
}

/** A storage as a node reports it: no credentials. */
export interface StorageInfo {
  type: string;
  name: string;
  scope: string[];
  /** JSON of the non-secret parameters; credentials appear as "***". */
  parameters: string;
}

// ---- operations -----------------------------------------------------------------------------

/**
 * The cluster operations: what a node (or an admin) asks of every ready node at once. The management
 * node carries them out (standalone: itself; Kubernetes: by changing custom resources), and its
 * client sends them. `putDataSource` and `deleteDataSource` exist in managed clusters only.
 */
export interface ClusterOperations {
  loadDataSource(name: string): Promise<ClusterOperationResult>;
  unloadDataSource(name: string): Promise<ClusterOperationResult>;
  registerStorage(spec: StorageSpec): Promise<ClusterOperationResult>;
  unregisterStorage(name: string): Promise<ClusterOperationResult>;
  putDataSource(definition: DataSourceDefinition): Promise<ClusterOperationResult>;
  deleteDataSource(name: string): Promise<ClusterOperationResult>;
}

/** The outcome of one operation on one node. */
export interface NodeOperationResult {
  success: boolean;
  /** Why it failed, or "". */
  error: string;
}

/** One node's part in a cluster operation. */
export interface NodeResult extends NodeOperationResult {
  node: string;
  durationMs: number;
}

/**
 * A cluster operation: `success` only when every ready node succeeded (and there was at least one);
 * otherwise `message` names each failed node and its error.
 */
export interface ClusterOperationResult {
  success: boolean;
  message: string;
  nodes: NodeResult[];
}

/** A data source's status on one node: "attached", "detached" or "error". */
export interface NodeDataSourceStatus {
  status: string;
  error: string;
}

export interface DataSourceStatusResponse {
  nodes: (NodeDataSourceStatus & { node: string })[];
}

export interface NodeStoragesResponse {
  storages: StorageInfo[];
}

export interface StoragesResponse {
  storages: (StorageInfo & { node: string })[];
}

export interface NodeHealth {
  name: string;
  version: string;
  ready: boolean;
  error: string;
}

// ---- errors ---------------------------------------------------------------------------------

/** The one error envelope of both APIs. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export type ErrorCode =
  /** Missing, stale, replayed or wrong signature: permanent for this request, never retried as is. */
  | "UNAUTHORIZED"
  | "BAD_REQUEST"
  | "NOT_FOUND"
  /** The management node does not know this node (it restarted or removed it): register again. */
  | "NODE_NOT_REGISTERED"
  /** Kubernetes mode: no HugrCluster of that namespace/name is served by this operator. */
  | "CLUSTER_NOT_FOUND"
  /** The management node cannot serve clusters right now (a standby replica): retry with backoff. */
  | "UNAVAILABLE"
  /** A change contradicts a field of a custom resource that another manager (GitOps, kubectl) owns. */
  | "CONFLICT"
  /** The custom resource's schema refused the change (details name the field). */
  | "INVALID"
  /** The change was accepted but its reconcile did not finish within the operation timeout. */
  | "RECONCILE_TIMEOUT"
  | "PAYLOAD_TOO_LARGE"
  | "INTERNAL";
