import { isIPv4, isIPv6 } from "node:net";
import { join } from "node:path";
import { checkDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import type { AuthConfig, CacheConfig, ClusterConfig, CoreDbConfig, WorkerConfig } from "./types.js";

/** The process environment, or any stand-in for it (tests pass plain objects). */
type Env = Readonly<Record<string, string | undefined>>;

type LogLevel = WorkerConfig["logLevel"];
type L2Backend = CacheConfig["l2"]["backend"];

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const L2_BACKENDS: readonly L2Backend[] = ["redis", "memcached"];
const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "1", "yes"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "0", "no"]);

/** Node.js timers fire at once when asked to wait longer than this (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Defaults. BIND, CLUSTER_TIMEOUT and CACHE_L1_MAX_SIZE are hugr's; hugr sets no CACHE_TTL (its zero
 * means "never expire"), so 5m, the value its docs use in examples; HUGR_DATA_DIR is ours.
 */
const DEFAULT_BIND = ":15000";
const DEFAULT_DATA_DIR = ".data";
const DEFAULT_CACHE_TTL = "5m";
const DEFAULT_L1_MAX_SIZE_MB = 512;
const DEFAULT_CLUSTER_TIMEOUT = "5s";
const CLUSTER_MODE = "in cluster mode (when CLUSTER_MANAGEMENT_URL is set)";

/**
 * Reads the work node's configuration from environment variables (hugr's names). An empty value
 * counts as unset. Values are trimmed, except secrets, which are taken verbatim. Throws a
 * {@link ConfigError} naming the first variable that is wrong; secrets never appear in it.
 */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const dataDir = readString(env, "HUGR_DATA_DIR") ?? DEFAULT_DATA_DIR;
  return {
    bind: readBind(env),
    adminUI: readBool(env, "ADMIN_UI", true),
    logLevel: readChoice(env, "LOG_LEVEL", LOG_LEVELS) ?? "info",
    dataDir,
    coreDb: readCoreDb(env, dataDir),
    cache: readCache(env),
    auth: readAuth(env),
    cluster: readCluster(env),
    corsAllowedOrigins: readList(env, "CORS_ALLOWED_ORIGINS"),
  };
}

// --- sections ---------------------------------------------------------------------------------

/** BIND: "host:port" as Go's net.Listen takes it; an empty host means every interface. */
function readBind(env: Env): WorkerConfig["bind"] {
  const text = readString(env, "BIND") ?? DEFAULT_BIND;
  const parsed = splitHostPort(text);
  if (typeof parsed === "string") throw new ConfigError("BIND", parsed, text);
  return parsed;
}

/**
 * CORE_DB_PATH: a postgres:// or postgresql:// URL, or a folder for the embedded PGlite database
 * (default `${dataDir}/core-db`), or "memory://" for a throwaway in-memory one (trials, tests).
 * hugr's DuckDB core files are refused, as are other URL schemes.
 */
function readCoreDb(env: Env, dataDir: string): CoreDbConfig {
  const readOnly = readBool(env, "CORE_DB_READONLY", false);
  const value = readString(env, "CORE_DB_PATH");
  if (value === undefined) return { kind: "pglite", dir: join(dataDir, "core-db"), readOnly };
  if (/^postgres(?:ql)?:\/\//iu.test(value)) {
    if (!URL.canParse(value)) {
      throw new ConfigError("CORE_DB_PATH", "is not a valid PostgreSQL connection URL", value);
    }
    return { kind: "postgres", url: value, readOnly };
  }
  if (value === "memory://") return { kind: "pglite", dir: value, readOnly };
  if (/\.duckdb$/iu.test(value)) {
    throw new ConfigError(
      "CORE_DB_PATH",
      "DuckDB core databases are not supported by this implementation; use a PostgreSQL URL " +
        "(postgres://...) or a folder for the embedded database",
      value,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//iu.test(value)) {
    throw new ConfigError(
      "CORE_DB_PATH",
      "only postgres:// and postgresql:// URLs are supported; otherwise give a folder for the embedded database",
      value,
    );
  }
  return { kind: "pglite", dir: value, readOnly };
}

/** CACHE_*: hugr's two-level query cache. */
function readCache(env: Env): CacheConfig {
  return {
    ttlMs: readDuration(env, "CACHE_TTL", DEFAULT_CACHE_TTL),
    l1: {
      enabled: readBool(env, "CACHE_L1_ENABLED", false),
      maxSizeMB: readInt(env, "CACHE_L1_MAX_SIZE", DEFAULT_L1_MAX_SIZE_MB, 1),
    },
    l2: readL2Cache(env),
  };
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

/** ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, AUTH_CONFIG_FILE and OIDC_*. */
function readAuth(env: Env): AuthConfig {
  return {
    allowedAnonymous: readBool(env, "ALLOWED_ANONYMOUS", true),
    anonymousRole: readString(env, "ANONYMOUS_ROLE") ?? "anonymous",
    secretKey: readToken(env, "SECRET_KEY"),
    configFile: readString(env, "AUTH_CONFIG_FILE"),
    oidc: readOidc(env),
  };
}

/**
 * OIDC_*: the issuer is kept verbatim (it must equal the tokens' "iss" claim, trailing slash
 * included). Claim defaults are those of hugr's OIDC provider; an empty cookie name means tokens
 * are read from the Authorization header only.
 */
function readOidc(env: Env): AuthConfig["oidc"] {
  const issuer = readHttpUrl(env, "OIDC_ISSUER");
  const clientId = readString(env, "OIDC_CLIENT_ID");
  if (issuer !== undefined && clientId === undefined) {
    throw new ConfigError("OIDC_CLIENT_ID", "is required when OIDC_ISSUER is set");
  }
  return {
    issuer,
    clientId,
    cookieName: readString(env, "OIDC_COOKIE_NAME") ?? "",
    usernameClaim: readString(env, "OIDC_USERNAME_CLAIM") ?? "name",
    userIdClaim: readString(env, "OIDC_USERID_CLAIM") ?? "sub",
    roleClaim: readString(env, "OIDC_ROLE_CLAIM") ?? "x-hugr-role",
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
    secret: required("CLUSTER_SECRET", readToken(env, "CLUSTER_SECRET"), CLUSTER_MODE),
    managementUrl,
    nodeName: required("CLUSTER_NODE_NAME", readString(env, "CLUSTER_NODE_NAME"), CLUSTER_MODE),
    nodeUrl: required("CLUSTER_NODE_URL", readHttpUrl(env, "CLUSTER_NODE_URL"), CLUSTER_MODE),
    timeoutMs: readDuration(env, "CLUSTER_TIMEOUT", DEFAULT_CLUSTER_TIMEOUT, MAX_TIMER_MS),
  };
}

// --- typed readers ----------------------------------------------------------------------------

/** The value verbatim; undefined when unset or empty. For secrets, which may hold any character. */
function readRaw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The trimmed value; undefined when unset, empty or only whitespace. */
function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * A shared token (CLUSTER_SECRET, SECRET_KEY), compared byte for byte with what other nodes and
 * clients send: surrounding whitespace, typically a newline left by a secret file, is refused
 * rather than silently trimmed or kept.
 */
function readToken(env: Env, name: string): string | undefined {
  const value = readRaw(env, name);
  if (value !== undefined && value !== value.trim()) {
    throw new ConfigError(name, "has leading or trailing whitespace (a newline from a secret file?)", value);
  }
  return value;
}

/** true/false, 1/0, yes/no in any case. */
function readBool(env: Env, name: string, fallback: boolean): boolean {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(name, "must be true/false, 1/0 or yes/no", value);
}

/** A whole number of at least `min` written in plain decimal digits. */
function readInt(env: Env, name: string, fallback: number, min: number): number {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const number = /^\d+$/u.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    const kind = min === 1 ? "a positive integer" : `an integer of at least ${min}`;
    throw new ConfigError(name, `must be ${kind}`, value);
  }
  return number;
}

/** A Go-style duration in milliseconds, greater than zero and at most `maxMs`. */
function readDuration(env: Env, name: string, fallback: string, maxMs = Number.POSITIVE_INFINITY): number {
  const value = readString(env, name) ?? fallback;
  const result = checkDuration(value);
  if (!result.ok) {
    throw new ConfigError(
      name,
      `is not a valid duration such as "30s", "1m" or "5m30s": ${result.problem}`,
      value,
    );
  }
  if (result.ms <= 0) throw new ConfigError(name, "must be greater than zero", value);
  if (result.ms > maxMs) throw new ConfigError(name, `must be at most ${maxMs} ms (about 24.8 days)`, value);
  return result.ms;
}

/** One of `choices`, in any case; undefined when unset. */
function readChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const choice = choices.find((candidate) => candidate === value.toLowerCase());
  if (choice === undefined) throw new ConfigError(name, `must be one of ${choices.join(", ")}`, value);
  return choice;
}

/** An absolute http:// or https:// URL, kept as written; undefined when unset. */
function readHttpUrl(env: Env, name: string): string | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new ConfigError(name, "must be an http:// or https:// URL", value);
  }
  return value;
}

/** A comma-separated list, entries trimmed, empty entries dropped. */
function readList(env: Env, name: string): string[] {
  const value = readString(env, name);
  if (value === undefined) return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** A comma-separated list of "host:port" server addresses (host required, port 1..65535). */
function readAddresses(env: Env, name: string): string[] {
  const entries = readList(env, name);
  for (const entry of entries) {
    const problem = addressProblem(entry);
    if (problem !== undefined) {
      throw new ConfigError(name, `address "${entry}" is invalid: ${problem}`, env[name]?.trim());
    }
  }
  return entries;
}

/** Throws "<name>: is required <when>" if the value is missing. */
function required(name: string, value: string | undefined, when: string): string {
  if (value === undefined) throw new ConfigError(name, `is required ${when}`);
  return value;
}

// --- host:port ----------------------------------------------------------------------------------

/** Why a server address such as "redis:6379" is unusable, or undefined when it is fine. */
function addressProblem(entry: string): string | undefined {
  const parsed = splitHostPort(entry);
  if (typeof parsed === "string") return parsed;
  if (parsed.host === "") return "the host is missing";
  if (parsed.port === 0) return "the port must be from 1 to 65535";
  return undefined;
}

/**
 * Splits "host:port" like Go's net.SplitHostPort: IPv6 hosts in brackets ("[::1]:15000", host
 * returned without brackets), an empty host allowed (":15000"), port 0..65535. Returns the problem
 * as text when the address is malformed.
 */
function splitHostPort(text: string): { host: string; port: number } | string {
  const match = /^\[([^\]]*)\]:([^:]*)$/u.exec(text) ?? /^([^:[\]]*):([^:]*)$/u.exec(text);
  if (match === null) {
    return /^[\da-f.:]+$/iu.test(text) && text.split(":").length > 2
      ? 'IPv6 hosts must be in brackets, e.g. "[::1]:15000"'
      : 'expected "host:port", e.g. ":15000", "0.0.0.0:15000" or "[::1]:15000"';
  }
  const host = match[1] ?? "";
  const portText = match[2] ?? "";
  const bracketed = text.startsWith("[");
  if (bracketed ? !isIPv6(host) : !isHostName(host)) return "the host is not a valid host name or IP address";
  if (!/^\d{1,5}$/u.test(portText) || Number(portText) > 65535) {
    return "the port must be a number from 0 to 65535";
  }
  return { host, port: Number(portText) };
}

/** An empty host, a DNS-style host name, or a dotted IPv4 address. */
function isHostName(host: string): boolean {
  if (host === "") return true;
  if (/^[\d.]+$/u.test(host)) return isIPv4(host);
  return /^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/iu.test(host);
}
