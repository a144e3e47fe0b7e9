import {
  managementRoutes,
  nodeRoutes,
  routePath,
  type CacheInvalidation,
  type ClusterOperationResult,
  type ClusterOperations,
  type DataSourceStatusResponse,
  type HttpMethod,
  type ErrorCode,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type NodeDataSourceStatus,
  type NodeHealth,
  type NodeOperationResult,
  type NodesResponse,
  type NodeStoragesResponse,
  type RegisterNodeRequest,
  type RegisterNodeResponse,
  type Route,
  type RouteParams,
  type StorageSpec,
  type StoragesResponse,
} from "./contract.js";
import { ProtocolError, redactSecret, type ProtocolErrorCode } from "./errors.js";
import { signRequest } from "./signing.js";

export interface SignedClientOptions {
  /** Where the peer listens, e.g. "http://hugr-management:14000"; a path prefix is kept. */
  baseUrl: string;
  /** The cluster secret: signs every request, never sent. */
  secret: string;
  /** Bound of one call, from connecting to the last byte of the answer. */
  timeoutMs: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** JSON over HTTP with every request signed; failures are {@link ProtocolError}s. */
export interface SignedClient {
  /**
   * Sends `body` as JSON (nothing when undefined) and returns the parsed JSON answer, or undefined
   * for an empty answer (204).
   */
  request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T>;
}

/**
 * The management API, as a work node (or an admin tool) calls it: one method per route of
 * managementRoutes (createManagementClient fails to compile when the two differ).
 */
export interface ManagementClient extends ClusterOperations {
  register(request: RegisterNodeRequest): Promise<RegisterNodeResponse>;
  /** Rejects with code NODE_NOT_REGISTERED when the management node lost the node: register again. */
  heartbeat(name: string, request: HeartbeatRequest): Promise<HeartbeatResponse>;
  deregister(name: string): Promise<void>;
  nodes(): Promise<NodesResponse>;
  dataSourceStatus(name: string): Promise<DataSourceStatusResponse>;
  storages(): Promise<StoragesResponse>;
  /** Relays a cache invalidation to every ready node. */
  invalidateCache(message: CacheInvalidation): Promise<ClusterOperationResult>;
}

/** The node API, as the management node calls it on one work node: one method per route of nodeRoutes. */
export interface NodeClient {
  health(): Promise<NodeHealth>;
  loadDataSource(name: string): Promise<NodeOperationResult>;
  unloadDataSource(name: string): Promise<NodeOperationResult>;
  dataSourceStatus(name: string): Promise<NodeDataSourceStatus>;
  storages(): Promise<NodeStoragesResponse>;
  registerStorage(spec: StorageSpec): Promise<NodeOperationResult>;
  unregisterStorage(name: string): Promise<NodeOperationResult>;
  invalidateCache(message: CacheInvalidation): Promise<NodeOperationResult>;
}

/**
 * A typed client of the management API. Methods are closures (no `this`), so they can be passed
 * around or proxied freely.
 */
export function createManagementClient(options: SignedClientOptions): ManagementClient {
  const call = caller(createSignedClient(options));
  const routes = managementRoutes;
  // Keyed by the routes and typed by the interface: a route without a method, or a method without a
  // route, does not compile.
  const client: { [Name in keyof typeof managementRoutes]: ManagementClient[Name] } = {
    register: (request) => call(routes.register, {}, request),
    nodes: () => call(routes.nodes, {}),
    heartbeat: (name, request) => call(routes.heartbeat, { node: name }, request),
    deregister: (name) => call(routes.deregister, { node: name }),
    loadDataSource: (name) => call(routes.loadDataSource, { name }),
    unloadDataSource: (name) => call(routes.unloadDataSource, { name }),
    dataSourceStatus: (name) => call(routes.dataSourceStatus, { name }),
    putDataSource: (definition) => call(routes.putDataSource, { name: definition.name }, definition),
    deleteDataSource: (name) => call(routes.deleteDataSource, { name }),
    storages: () => call(routes.storages, {}),
    registerStorage: (spec) => call(routes.registerStorage, { name: spec.name }, spec),
    unregisterStorage: (name) => call(routes.unregisterStorage, { name }),
    invalidateCache: (message) => call(routes.invalidateCache, {}, message),
  };
  return client;
}

/** A typed client of one work node's node API. */
export function createNodeClient(options: SignedClientOptions): NodeClient {
  const call = caller(createSignedClient(options));
  const routes = nodeRoutes;
  const client: { [Name in keyof typeof nodeRoutes]: NodeClient[Name] } = {
    health: () => call(routes.health, {}),
    loadDataSource: (name) => call(routes.loadDataSource, { name }),
    unloadDataSource: (name) => call(routes.unloadDataSource, { name }),
    dataSourceStatus: (name) => call(routes.dataSourceStatus, { name }),
    storages: () => call(routes.storages, {}),
    registerStorage: (spec) => call(routes.registerStorage, { name: spec.name }, spec),
    unregisterStorage: (name) => call(routes.unregisterStorage, { name }),
    invalidateCache: (message) => call(routes.invalidateCache, {}, message),
  };
  return client;
}

/** Calls a route of the contract: its method, its path with `params` filled in, `body` as JSON. */
type RouteCaller = <Pattern extends string, Answer>(
  route: Route<Pattern, unknown>,
  params: RouteParams<Pattern>,
  body?: unknown,
) => Promise<Answer>;

function caller(client: SignedClient): RouteCaller {
  return (route, params, body) => client.request(route.method, routePath(route, params), body);
}

/**
 * The transport under both typed clients. It signs exactly the bytes it sends (the JSON it
 * serialised, the URL path and query as the URL parser normalised them, so the server sees the same).
 * Errors: non-2xx -> the peer's envelope (status, code, message); no connection -> UNREACHABLE; no
 * answer within `timeoutMs` -> TIMEOUT. Messages name the peer's host:port, never the secret.
 */
export function createSignedClient(options: SignedClientOptions): SignedClient {
  if (options.secret.length === 0) throw new TypeError("the cluster secret must not be empty");
  const base = parseBaseUrl(options.baseUrl);
  const call: Call = {
    secret: options.secret,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch ?? globalThis.fetch,
    peer: describePeer(base),
  };
  const basePath = base.pathname.replace(/\/+$/, "");
  return {
    async request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
      if (method === "GET" && body !== undefined) throw new TypeError("a GET request cannot have a body");
      const url = new URL(base.origin + basePath + path);
      const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
      const response = await send(call, method, url, payload);
      return (await readAnswer(call, response)) as T;
    },
  };
}

/** What every call of one client shares. */
interface Call {
  secret: string;
  timeoutMs: number;
  fetch: typeof fetch;
  /** host:port of the peer, for messages. */
  peer: string;
}

async function send(
  call: Call,
  method: HttpMethod,
  url: URL,
  payload?: Uint8Array<ArrayBuffer>,
): Promise<Response> {
  const pathWithQuery = url.pathname + url.search;
  const headers: Record<string, string> = {
    accept: "application/json",
    ...signRequest(call.secret, { method, pathWithQuery, body: payload ?? new Uint8Array(0) }),
  };
  if (payload !== undefined) headers["content-type"] = "application/json";
  try {
    return await call.fetch(url, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
    throw transportError(call, error);
  }
}

/** The parsed JSON of a 2xx answer (undefined when empty), or the ProtocolError of any other. */
async function readAnswer(call: Call, response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(call, error);
  }
  if (!response.ok) throw answerError(call, response.status, text);
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProtocolError(
      "INTERNAL",
      `${call.peer} answered ${response.status} with a body that is not JSON`,
      {
        status: response.status,
        cause: error,
      },
    );
  }
}

/** A failure without an HTTP answer: the timeout fired, or the connection could not be made or broke. */
function transportError(call: Call, error: unknown): ProtocolError {
  if (error instanceof Error && error.name === "TimeoutError") {
    return new ProtocolError("TIMEOUT", `${call.peer} did not answer within ${call.timeoutMs} ms`, {
      cause: error,
    });
  }
  const reason = redactSecret(causeMessage(error), call.secret);
  return new ProtocolError("UNREACHABLE", `${call.peer} is unreachable: ${reason}`, { cause: error });
}

/** fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND...) in its cause. */
function causeMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.cause instanceof Error) return error.cause.message || error.message;
  return error.message;
}

/** A non-2xx answer: the envelope's code and message, or a code derived from the status without one. */
function answerError(call: Call, status: number, text: string): ProtocolError {
  const envelope = parseEnvelope(text);
  const code = envelope?.code ?? codeForStatus(status);
  const detail = envelope?.message ?? "no error envelope in the answer";
  const message = redactSecret(`${call.peer} answered ${status} ${code}: ${detail}`, call.secret);
  return new ProtocolError(code, message, {
    status,
    ...(envelope?.details === undefined ? {} : { details: envelope.details }),
  });
}

interface ParsedEnvelope {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Every code of the contract: a Record so that adding a code to ErrorCode fails to compile here. */
const KNOWN_CODES: Record<ErrorCode, true> = {
  UNAUTHORIZED: true,
  BAD_REQUEST: true,
  NOT_FOUND: true,
  NODE_NOT_REGISTERED: true,
  CLUSTER_NOT_FOUND: true,
  UNAVAILABLE: true,
  CONFLICT: true,
  INVALID: true,
  RECONCILE_TIMEOUT: true,
  PAYLOAD_TOO_LARGE: true,
  INTERNAL: true,
};

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(KNOWN_CODES, value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The envelope's fields, or undefined when the body is not one (a proxy's HTML page, say). */
function parseEnvelope(text: string): ParsedEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (!isRecord(error) || !isErrorCode(error.code) || typeof error.message !== "string") return undefined;
  const envelope: ParsedEnvelope = { code: error.code, message: error.message };
  if (isRecord(error.details)) envelope.details = error.details;
  return envelope;
}

function codeForStatus(status: number): ProtocolErrorCode {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 404:
      return "NOT_FOUND";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    default:
      return "INTERNAL";
  }
}

function parseBaseUrl(baseUrl: string): URL {
  const url = URL.parse(baseUrl);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError("the base URL must be an absolute http or https URL");
  }
  // Requests are authenticated by their signature; credentials in the URL would only leak into logs.
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("the base URL must not contain a user or password");
  }
  return url;
}

/** host:port with the default port spelled out, for messages. */
function describePeer(url: URL): string {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return `${url.hostname}:${port}`;
}
