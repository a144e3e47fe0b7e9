import {
  buildAuthPolicy,
  ConfigError,
  readAuthSettings,
  readBind,
  readCoreDb,
  readDataDir,
  readDuration,
  readLogLevel,
  readSecret,
  type Env,
} from "@hugr/common";
import type { ManagementConfig } from "./types.js";

const DEFAULT_BIND = ":14000";
const DEFAULT_TIMEOUT = "30s";
const DEFAULT_CHECK = "1m";
const DEFAULT_REMOVE_AFTER = "5m";

/**
 * Reads the management node's configuration from environment variables, exactly those of hugr's
 * clustered-deployment page plus CORE_DB_PATH, HUGR_DATA_DIR, NODE_REMOVE_AFTER and LOG_LEVEL.
 * AUTH_CONFIG_FILE is read here and its contents become part of the settings work nodes receive;
 * the settings are checked as work nodes will apply them (buildAuthPolicy), so a bad auth file stops
 * the management node at start rather than every work node later. Throws a ConfigError naming the
 * first wrong variable (and, for the auth file, the key); secrets never appear in it.
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
  const auth = readAuthSettings(env);
  buildAuthPolicy(auth);
  const config: ManagementConfig = {
    bind: readBind(env, DEFAULT_BIND),
    logLevel: readLogLevel(env),
    dataDir,
    coreDb: readCoreDb(env, dataDir, { defaultName: "management", clusterNode: "the management node" }),
    secret,
    timeoutMs,
    checkIntervalMs,
    removeAfterMs: readDuration(env, "NODE_REMOVE_AFTER", DEFAULT_REMOVE_AFTER),
    auth,
  };
  return config;
}
