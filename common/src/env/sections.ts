import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SCOPE_ROLE_PREFIX } from "../auth/policy.js";
import { ConfigError } from "./errors.js";
import {
  MAX_TIMER_MS,
  readBool,
  readChoice,
  readDuration,
  readHttpUrl,
  readSecret,
  readString,
  splitHostPort,
  type Env,
} from "./readers.js";

/**
 * Which core database to open (CORE_DB_PATH and CORE_DB_READONLY, read by readCoreDb); @hugr/coredb
 * opens it.
 */
export type CoreDbConfig =
  /** CORE_DB_PATH is a postgres:// or postgresql:// URL. */
  | { kind: "postgres"; url: string; readOnly: boolean }
  /** CORE_DB_PATH is a folder (persistent PGlite), or "memory://" (throwaway). */
  | { kind: "pglite"; dir: string; readOnly: boolean }
  /** CORE_DB_PATH is a local file ending in ".duckdb". */
  | { kind: "duckdb"; path: string; readOnly: boolean };

/**
 * The configuration sections that work nodes and the management node read alike (hugr's variable
 * names): BIND, LOG_LEVEL, HUGR_DATA_DIR, CORE_DB_* and the authentication settings.
 */

/** LOG_LEVEL: a pino level. */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/**
 * ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, ALLOW_MANAGED_API_KEYS, AUTH_CONFIG_FILE and OIDC_*,
 * as the environment gives them. The defaults that depend on the whole configuration (the anonymous
 * role) and the auth file's contents are applied by `buildAuthPolicy` (common/src/auth).
 */
export interface AuthConfig {
  allowedAnonymous: boolean;
  /** ANONYMOUS_ROLE; undefined: not set (admin when nothing else is configured, else public). */
  anonymousRole: string | undefined;
  secretKey: string | undefined;
  /** ALLOW_MANAGED_API_KEYS (hugr's name; its docs spell it ALLOWED_MANAGED_API_KEYS), default false. */
  managedApiKeys: boolean;
  configFile: string | undefined;
  oidc: {
    issuer: string | undefined;
    clientId: string | undefined;
    cookieName: string;
    /** OIDC_SCOPE_ROLE_PREFIX, default hugr's "hugr:". */
    scopeRolePrefix: string;
    usernameClaim: string;
    userIdClaim: string;
    roleClaim: string;
    /** OIDC_TIMEOUT, default 10s. */
    timeoutMs: number;
    /** OIDC_TLS_INSECURE, default false. */
    tlsInsecure: boolean;
  };
}

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** HUGR_DATA_DIR's default; hugr has no such variable, it is ours. */
const DEFAULT_DATA_DIR = ".data";

/**
 * BIND: "host:port" as Go's net.Listen takes it; an empty host means every interface. `fallback`
 * is the node's default (hugr's: ":15000" for work nodes, ":14000" for the management node).
 */
export function readBind(env: Env, fallback: string): { host: string; port: number } {
  const text = readString(env, "BIND") ?? fallback;
  const parsed = splitHostPort(text);
  if (typeof parsed === "string") throw new ConfigError("BIND", parsed, text);
  return parsed;
}

/** LOG_LEVEL: a pino level in any case, default "info". */
export function readLogLevel(env: Env): LogLevel {
  return readChoice(env, "LOG_LEVEL", LOG_LEVELS) ?? "info";
}

/** HUGR_DATA_DIR: where embedded state lives (the default embedded core database), default ".data". */
export function readDataDir(env: Env): string {
  return readString(env, "HUGR_DATA_DIR") ?? DEFAULT_DATA_DIR;
}

export interface CoreDbOptions {
  /** The embedded default's name in the data folder (`core`: `core.duckdb`, or a `core-db` folder). */
  defaultName?: string;
  /**
   * The node is part of a cluster (e.g. "a work node in cluster mode"): a DuckDB file it is given
   * must be read-only. DuckDB lets one process write a file, and then no other may open it, so the
   * nodes of a cluster share a prepared file read-only, as hugr's documentation requires. The
   * embedded default is the node's own file, which no other process opens.
   */
  clusterNode?: string;
}

/**
 * CORE_DB_PATH, one of (CORE_DB_READONLY applies to every kind):
 * - a `postgres://` or `postgresql://` URL: a PostgreSQL database;
 * - a local file path ending in `.duckdb` (any case), e.g. `/data/core.duckdb`: a DuckDB file, as
 *   in hugr; remote DuckDB files (`s3://.../core.duckdb` and other URLs) are refused;
 * - `memory://`: a throwaway embedded PGlite database in memory (trials, tests);
 * - any other local path: a folder for the embedded PGlite database;
 * - unset: the embedded default, the DuckDB file `${dataDir}/${defaultName}.duckdb`, or the PGlite
 *   folder `${dataDir}/${defaultName}-db` an earlier version made there, kept while it exists.
 * Other URL schemes are refused.
 */
export function readCoreDb(env: Env, dataDir: string, options: CoreDbOptions = {}): CoreDbConfig {
  const readOnly = readBool(env, "CORE_DB_READONLY", false);
  const value = readString(env, "CORE_DB_PATH");
  if (value === undefined) return embeddedDefault(join(dataDir, options.defaultName ?? "core"), readOnly);
  if (/^postgres(?:ql)?:\/\//iu.test(value)) {
    if (!URL.canParse(value)) {
      throw new ConfigError("CORE_DB_PATH", "is not a valid PostgreSQL connection URL", value);
    }
    return { kind: "postgres", url: value, readOnly };
  }
  if (value === "memory://") return { kind: "pglite", dir: value, readOnly };
  const duckdb = /\.duckdb$/iu.test(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//iu.test(value)) {
    throw new ConfigError(
      "CORE_DB_PATH",
      duckdb
        ? "a DuckDB core database must be a local file path, without a URL scheme; remote DuckDB " +
            "files are not supported (copy the file to the node's disk)"
        : "only postgres:// and postgresql:// URLs are supported; otherwise give a DuckDB file " +
            "(*.duckdb) or a folder for the embedded database",
      value,
    );
  }
  if (duckdb) {
    if (options.clusterNode !== undefined && !readOnly) refuseWritableDuckDb(value, options.clusterNode);
    return { kind: "duckdb", path: value, readOnly };
  }
  return { kind: "pglite", dir: value, readOnly };
}

/**
 * DuckDB (some 140 MB for an idle node, against 560 MB for PGlite). A node upgraded from a version
 * whose default was PGlite keeps its folder, and its data, until the operator moves it (the node's
 * start-up warning says how); refusing it would make the upgrade lose the data sources.
 */
function embeddedDefault(base: string, readOnly: boolean): CoreDbConfig {
  const earlier = `${base}-db`;
  if (existsSync(earlier) && !existsSync(`${base}.duckdb`)) return { kind: "pglite", dir: earlier, readOnly };
  return { kind: "duckdb", path: `${base}.duckdb`, readOnly };
}

function refuseWritableDuckDb(path: string, node: string): never {
  throw new ConfigError(
    "CORE_DB_READONLY",
    `must be true for ${node} with a DuckDB core database (CORE_DB_PATH=${path}): DuckDB ` +
      "allows one writer process per file and no other process beside it, so the nodes of a cluster " +
      "open a prepared file read-only (create one with `hugr-worker core-db export --to <file.duckdb>`)",
  );
}

/** ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, ALLOW_MANAGED_API_KEYS, AUTH_CONFIG_FILE and OIDC_*. */
export function readAuth(env: Env): AuthConfig {
  return {
    allowedAnonymous: readBool(env, "ALLOWED_ANONYMOUS", true),
    anonymousRole: readString(env, "ANONYMOUS_ROLE"),
    secretKey: readSecret(env, "SECRET_KEY"),
    managedApiKeys: readBool(env, "ALLOW_MANAGED_API_KEYS", false),
    configFile: readString(env, "AUTH_CONFIG_FILE"),
    oidc: readOidc(env),
  };
}

/** OIDC_TIMEOUT's default: DEFAULT_OIDC_TIMEOUT_MS. */
const DEFAULT_OIDC_TIMEOUT = "10s";

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
    scopeRolePrefix: readString(env, "OIDC_SCOPE_ROLE_PREFIX") ?? DEFAULT_SCOPE_ROLE_PREFIX,
    usernameClaim: readString(env, "OIDC_USERNAME_CLAIM") ?? "name",
    userIdClaim: readString(env, "OIDC_USERID_CLAIM") ?? "sub",
    roleClaim: readString(env, "OIDC_ROLE_CLAIM") ?? "x-hugr-role",
    timeoutMs: readDuration(env, "OIDC_TIMEOUT", DEFAULT_OIDC_TIMEOUT, MAX_TIMER_MS),
    tlsInsecure: readBool(env, "OIDC_TLS_INSECURE", false),
  };
}
