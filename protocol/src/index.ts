/** The public surface of @hugr/protocol: the wire contract, request signing, errors, middleware, clients. */
export { API_VERSION, apiRoots, managementRoutes, nodeRoutes, routePath } from "./contract.js";
export type {
  AuthConfigFile,
  AuthSettings,
  CacheInvalidation,
  ClusterOperationResult,
  ClusterOperations,
  DataSourceDefinition,
  DataSourceStatusResponse,
  ErrorCode,
  ErrorEnvelope,
  HeartbeatRequest,
  HeartbeatResponse,
  HttpMethod,
  NodeClusterConfig,
  NodeDataSourceStatus,
  NodeHealth,
  NodeInfo,
  NodeOperationResult,
  NodeResult,
  NodesResponse,
  NodeStoragesResponse,
  RegisterNodeRequest,
  RegisterNodeResponse,
  Route,
  RouteParam,
  RouteParams,
  StorageInfo,
  StorageSpec,
  StoragesResponse,
} from "./contract.js";

export { SIGNATURE_HEADERS, createReplayCache, signRequest, verifyRequest } from "./signing.js";
export type {
  ReceivedRequest,
  ReplayCache,
  ReplayCacheOptions,
  SignableRequest,
  VerifyFailure,
  VerifyOptions,
  VerifyResult,
} from "./signing.js";

export { ProtocolError, errorEnvelope } from "./errors.js";
export type { ProtocolErrorCode, ProtocolErrorOptions } from "./errors.js";

export { jsonError, readRequest, serveRoute, verifySignature } from "./middleware.js";
// The other checks are applied through the routes (readRequest, serveRoute).
export { BadRequest, nodeName } from "./validate.js";
export type { RouteHandler, VerifySignatureOptions } from "./middleware.js";

export { createManagementClient, createNodeClient, createSignedClient } from "./client.js";
export type { ManagementClient, NodeClient, SignedClient, SignedClientOptions } from "./client.js";
