import { readFileSync } from "node:fs";
import {
  ConfigError,
  readAuth,
  readBind,
  readCoreDb,
  readDataDir,
  readDuration,
  readLogLevel,
  readSecret,
  type AuthConfig,
  type Env,
} from "@hugr/common";
import type { AuthSettings } from "@hugr/protocol";
import type { ManagementConfig } from "./types.js";

const DEFAULT_BIND = ":14000";
const DEFAULT_TIMEOUT = "30s";
const DEFAULT_CHECK = "1m";
const DEFAULT_REMOVE_AFTER = "5m";

/**
 * Reads the management node's configuration from environment variables, exactly those of hugr's
 * clustered-deployment page plus CORE_DB_PATH, HUGR_DATA_DIR, NODE_REMOVE_AFTER and LOG_LEVEL.
 * Throws a ConfigError naming the first wrong variable; secrets never appear in it.
 */
export function parseManagementConfig(env: Env): ManagementConfig {
  const dataDir = readDataDir(env);
  const secret = readSecret(env, "CLUSTER_SECRET");
  if (secret === undefined) {
    throw new ConfigError(
      "CLUSTER_SECRET",
      "is required: work nodes and the management node sign every request with it",
    );
  }
  const timeoutMs = readDuration(env, "TIMEOUT", DEFAULT_TIMEOUT);
  const checkIntervalMs = readDuration(env, "CHECK", DEFAULT_CHECK);
  const config: ManagementConfig = {
    bind: readBind(env, DEFAULT_BIND),
    logLevel: readLogLevel(env),
    dataDir,
    coreDb: readCoreDb(env, dataDir, { defaultName: "management", clusterNode: "the management node" }),
    secret,
    timeoutMs,
    checkIntervalMs,
    removeAfterMs: readDuration(env, "NODE_REMOVE_AFTER", DEFAULT_REMOVE_AFTER),
    auth: toAuthSettings(readAuth(env)),
  };
  return config;
}

/** The settings work nodes receive; AUTH_CONFIG_FILE is read here, once, and sent as its contents. */
function toAuthSettings(auth: AuthConfig): AuthSettings {
  const settings: AuthSettings = {
    allowedAnonymous: auth.allowedAnonymous,
    anonymousRole: auth.anonymousRole,
  };
  if (auth.secretKey !== undefined) settings.secretKey = auth.secretKey;
  if (auth.configFile !== undefined) settings.authConfig = readAuthConfigFile(auth.configFile);
  const { oidc } = auth;
  if (oidc.issuer !== undefined && oidc.clientId !== undefined) {
    settings.oidc = {
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      cookieName: oidc.cookieName,
      usernameClaim: oidc.usernameClaim,
      userIdClaim: oidc.userIdClaim,
      roleClaim: oidc.roleClaim,
    };
  }
  return settings;
}

function readAuthConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      "AUTH_CONFIG_FILE",
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      path,
    );
  }
}
