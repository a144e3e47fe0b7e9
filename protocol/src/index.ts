/** The public surface of @hugr/protocol: the wire contract, request signing, errors, middleware, clients. */
export { API_VERSION, managementPaths, nodePaths } from "./contract.js";
export type {
  AuthConfigFile,
  AuthSettings,
  CacheInvalidation,
  ClusterOperationResult,
  DataSourceDefinition,
  DataSourceStatusResponse,
  ErrorCode,
  ErrorEnvelope,
  HeartbeatRequest,
  HeartbeatResponse,
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

export { jsonError, verifySignature } from "./middleware.js";
export {
  BadRequest,
  cacheInvalidation,
  dataSourceDefinition,
  dataSourceName,
  heartbeatRequest,
  nodeName,
  registerRequest,
  storageName,
  storageSpec,
} from "./validate.js";
export type { VerifySignatureOptions } from "./middleware.js";

export { createManagementClient, createNodeClient, createSignedClient } from "./client.js";
export type {
  HttpMethod,
  ManagementClient,
  NodeClient,
  SignedClient,
  SignedClientOptions,
} from "./client.js";
