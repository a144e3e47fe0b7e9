import { join } from "node:path";
import {
  buildAuthPolicy,
  ConfigError,
  MAX_TIMER_MS,
  readAddresses,
  readAuthSettings,
  readBind,
  readBool,
  readChoice,
  readCoreDb,
  readDataDir,
  readDuration,
  readHttpUrl,
  readInt,
  readList,
  readLogLevel,
  readRaw,
  readSecret,
  readString,
  required,
  type Env,
} from "@hugr/common";
import { nodeName, type AuthSettings } from "@hugr/protocol";
import type {
  CacheConfig,
  ClusterConfig,
  DataSourcePoolConfig,
  StorageCacheConfig,
  WorkerConfig,
} from "./types.js";

type L2Backend = CacheConfig["l2"]["backend"];

const L2_BACKENDS: readonly L2Backend[] = ["redis", "memcached"];

/**
 * Defaults. BIND, CLUSTER_TIMEOUT, CACHE_L1_MAX_SIZE and CACHE_L1_MAX_ITEM_SIZE are hugr's; hugr sets no CACHE_TTL (its zero
 * means "never expire"), so 5m, the value its docs use in examples. HUGR_DATA_DIR's default (".data")
 * lives in @hugr/common, with the other sections the management node reads alike.
 */
const DEFAULT_BIND = ":15000";
const DEFAULT_CACHE_TTL = "5m";
const DEFAULT_L1_MAX_SIZE_MB = 512;
const DEFAULT_L1_MAX_ITEM_SIZE_MB = 100;
const DEFAULT_CLUSTER_TIMEOUT = "5s";
const DEFAULT_STORAGE_CACHE_FOLDER = "object-cache";
const DEFAULT_STORAGE_CACHE_MAX_SIZE_MB = 1024;
const DEFAULT_SOURCE_MAX_CONNECTIONS = 10;
const DEFAULT_SOURCE_STATEMENT_TIMEOUT = "30s";
const DEFAULT_SOURCE_CONNECT_TIMEOUT = "10s";
const DEFAULT_SOURCE_IDLE_TIMEOUT = "1m";
const CLUSTER_MODE = "in cluster mode (when CLUSTER_MANAGEMENT_URL is set)";

/**
 * Reads the work node's configuration from environment variables (hugr's names). An empty value
 * counts as unset. Values are trimmed, except secrets, which are taken verbatim. AUTH_CONFIG_FILE is
 * read and, with the other authentication settings, checked as the node will enforce them. Throws a
 * {@link ConfigError} naming the first variable that is wrong (and, for the auth file, the key);
 * secrets never appear in it.
 */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const dataDir = readDataDir(env);
  const cluster = readCluster(env);
  return {
    bind: readBind(env, DEFAULT_BIND),
    adminUI: readBool(env, "ADMIN_UI", true),
    logLevel: readLogLevel(env),
    dataDir,
    coreDb: readCoreDb(env, dataDir, cluster ? { clusterNode: `a work node ${CLUSTER_MODE}` } : {}),
    cache: readCache(env),
    storageCache: readStorageCache(env, dataDir),
    dataSources: readDataSourcePools(env),
    auth: readAuth(env),
    cluster,
    corsAllowedOrigins: readList(env, "CORS_ALLOWED_ORIGINS"),
  };
}

// --- worker-only sections -----------------------------------------------------------------------

/**
 * The authentication settings, checked at start: a bad auth file or setting stops the node with a
 * ConfigError rather than at its first request. The policy itself is built again where it is
 * enforced, from these settings or, in cluster mode, from the management node's.
 */
function readAuth(env: Env): AuthSettings {
  const settings = readAuthSettings(env);
  buildAuthPolicy(settings);
  return settings;
}

/** CACHE_*: hugr's two-level query cache. */
function readCache(env: Env): CacheConfig {
  return {
    ttlMs: readDuration(env, "CACHE_TTL", DEFAULT_CACHE_TTL),
    l1: readL1Cache(env),
    l2: readL2Cache(env),
  };
}

/** CACHE_L1_*: see L1CacheConfig for how each maps from hugr's bigcache settings. */
function readL1Cache(env: Env): CacheConfig["l1"] {
  readInt(env, "CACHE_L1_SHARDS", 1, 1); // not applicable: checked, then ignored
  return {
    enabled: readBool(env, "CACHE_L1_ENABLED", false),
    maxSizeMB: readInt(env, "CACHE_L1_MAX_SIZE", DEFAULT_L1_MAX_SIZE_MB, 1),
    maxItemSizeMB: readInt(env, "CACHE_L1_MAX_ITEM_SIZE", DEFAULT_L1_MAX_ITEM_SIZE_MB, 1),
    cleanIntervalMs: readOptionalDuration(env, "CACHE_L1_CLEAN_TIME", MAX_TIMER_MS),
    evictionTimeMs: readOptionalDuration(env, "CACHE_L1_EVICTION_TIME"),
  };
}

/** A duration in milliseconds, or undefined when unset. */
function readOptionalDuration(env: Env, name: string, maxMs?: number): number | undefined {
  return readString(env, name) === undefined ? undefined : readDuration(env, name, "", maxMs);
}

/**
 * CACHE_L2_*: backend and addresses are required when L2 is enabled; when it is disabled they are
 * still checked if set, and the backend reads "redis" if unset (it is then unused).
 */
function readL2Cache(env: Env): CacheConfig["l2"] {
  const enabled = readBool(env, "CACHE_L2_ENABLED", false);
  const backend = readChoice(env, "CACHE_L2_BACKEND", L2_BACKENDS);
  const addresses = readAddresses(env, "CACHE_L2_ADDRESSES");
  if (enabled && backend === undefined) {
    throw new ConfigError(
      "CACHE_L2_BACKEND",
      "is required when CACHE_L2_ENABLED is true (redis or memcached)",
    );
  }
  if (enabled && addresses.length === 0) {
    throw new ConfigError(
      "CACHE_L2_ADDRESSES",
      'is required when CACHE_L2_ENABLED is true (comma-separated "host:port" list)',
    );
  }
  return {
    enabled,
    backend: backend ?? "redis",
    addresses,
    database: readInt(env, "CACHE_L2_DATABASE", 0, 0),
    username: readString(env, "CACHE_L2_USERNAME"),
    password: readRaw(env, "CACHE_L2_PASSWORD"),
  };
}

/** STORAGE_CACHE_*: where object storage files are cached, and how much of them. Ours, not hugr's. */
function readStorageCache(env: Env, dataDir: string): StorageCacheConfig {
  return {
    dir: readString(env, "STORAGE_CACHE_DIR") ?? join(dataDir, DEFAULT_STORAGE_CACHE_FOLDER),
    maxSizeMB: readInt(env, "STORAGE_CACHE_MAX_SIZE", DEFAULT_STORAGE_CACHE_MAX_SIZE_MB, 1),
  };
}

/** DATA_SOURCE_*: limits of each loaded data source's connection pool. Ours, not hugr's. */
function readDataSourcePools(env: Env): DataSourcePoolConfig {
  return {
    maxConnections: readInt(env, "DATA_SOURCE_MAX_CONNECTIONS", DEFAULT_SOURCE_MAX_CONNECTIONS, 1),
    statementTimeoutMs: readDuration(
      env,
      "DATA_SOURCE_STATEMENT_TIMEOUT",
      DEFAULT_SOURCE_STATEMENT_TIMEOUT,
      MAX_TIMER_MS,
    ),
    connectTimeoutMs: readDuration(
      env,
      "DATA_SOURCE_CONNECT_TIMEOUT",
      DEFAULT_SOURCE_CONNECT_TIMEOUT,
      MAX_TIMER_MS,
    ),
    idleTimeoutMs: readDuration(env, "DATA_SOURCE_IDLE_TIMEOUT", DEFAULT_SOURCE_IDLE_TIMEOUT, MAX_TIMER_MS),
  };
}

/**
 * CLUSTER_*: cluster mode is on exactly when CLUSTER_MANAGEMENT_URL is set; the other cluster
 * variables are then required (and otherwise ignored, not even checked).
 */
function readCluster(env: Env): ClusterConfig | undefined {
  const managementUrl = readHttpUrl(env, "CLUSTER_MANAGEMENT_URL");
  if (managementUrl === undefined) return undefined;
  return {
    secret: required("CLUSTER_SECRET", readSecret(env, "CLUSTER_SECRET"), CLUSTER_MODE),
    managementUrl,
    nodeName: readNodeName(required("CLUSTER_NODE_NAME", readString(env, "CLUSTER_NODE_NAME"), CLUSTER_MODE)),
    nodeUrl: required("CLUSTER_NODE_URL", readHttpUrl(env, "CLUSTER_NODE_URL"), CLUSTER_MODE),
    timeoutMs: readDuration(env, "CLUSTER_TIMEOUT", DEFAULT_CLUSTER_TIMEOUT, MAX_TIMER_MS),
  };
}

/** The management node refuses other names (the contract's rule): said at start, not at each retry. */
function readNodeName(value: string): string {
  try {
    return nodeName(value, "the name");
  } catch (error) {
    throw new ConfigError("CLUSTER_NODE_NAME", (error as Error).message.replace(/^the name /u, ""), value);
  }
}
