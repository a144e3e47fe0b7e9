import { join } from "node:path";
import type { CoreDbConfig } from "@hugr/coredb";
import { ConfigError } from "./errors.js";
import {
  readBool,
  readChoice,
  readHttpUrl,
  readSecret,
  readString,
  splitHostPort,
  type Env,
} from "./readers.js";

/**
 * The configuration sections that work nodes and the management node read alike (hugr's variable
 * names): BIND, LOG_LEVEL, HUGR_DATA_DIR, CORE_DB_* and the authentication settings.
 */

/** LOG_LEVEL: a pino level. */
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, AUTH_CONFIG_FILE and OIDC_*. */
export interface AuthConfig {
  allowedAnonymous: boolean;
  anonymousRole: string;
  secretKey: string | undefined;
  configFile: string | undefined;
  oidc: {
    issuer: string | undefined;
    clientId: string | undefined;
    cookieName: string;
    usernameClaim: string;
    userIdClaim: string;
    roleClaim: string;
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

/**
 * CORE_DB_PATH, one of (CORE_DB_READONLY applies to every kind):
 * - a `postgres://` or `postgresql://` URL: a PostgreSQL database;
 * - a local file path ending in `.duckdb` (any case), e.g. `/data/core.duckdb`: a DuckDB file, as
 *   in hugr; remote DuckDB files (`s3://.../core.duckdb` and other URLs) are refused;
 * - `memory://`: a throwaway embedded PGlite database in memory (trials, tests);
 * - any other local path: a folder for the embedded PGlite database;
 * - unset: the embedded PGlite database in `${dataDir}/${defaultFolder}`.
 * Other URL schemes are refused.
 */
export function readCoreDb(env: Env, dataDir: string, defaultFolder = "core-db"): CoreDbConfig {
  const readOnly = readBool(env, "CORE_DB_READONLY", false);
  const value = readString(env, "CORE_DB_PATH");
  if (value === undefined) return { kind: "pglite", dir: join(dataDir, defaultFolder), readOnly };
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
  if (duckdb) return { kind: "duckdb", path: value, readOnly };
  return { kind: "pglite", dir: value, readOnly };
}

/**
 * Refuses a writable DuckDB core database on a node of a cluster (`node` names it, e.g. "a work
 * node in cluster mode"): DuckDB lets one process write a file, and then no other may open it, so
 * the nodes of a cluster share a prepared DuckDB file read-only, as hugr's documentation requires.
 */
export function checkClusterCoreDb(coreDb: CoreDbConfig, node: string): void {
  if (coreDb.kind !== "duckdb" || coreDb.readOnly) return;
  throw new ConfigError(
    "CORE_DB_READONLY",
    `must be true for ${node} with a DuckDB core database (CORE_DB_PATH=${coreDb.path}): DuckDB ` +
      "allows one writer process per file and no other process beside it, so the nodes of a cluster " +
      "open a prepared file read-only (create one with `hugr-worker core-db export --to <file.duckdb>`)",
  );
}

/** ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, AUTH_CONFIG_FILE and OIDC_*. */
export function readAuth(env: Env): AuthConfig {
  return {
    allowedAnonymous: readBool(env, "ALLOWED_ANONYMOUS", true),
    anonymousRole: readString(env, "ANONYMOUS_ROLE") ?? "anonymous",
    secretKey: readSecret(env, "SECRET_KEY"),
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
