import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  ConfigError,
  readBind,
  readBool,
  readDuration,
  readHttpUrl,
  readInt,
  readList,
  readLogLevel,
  readString,
  type Env,
} from "@hugr/common";
import type { OperatorConfig } from "./types.js";

const DEFAULT_BIND = ":14000";
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads the operator's configuration in Kubernetes mode. The cluster-specific settings (secret,
 * core database, authentication) come from each HugrCluster, not from here; TIMEOUT, CHECK and
 * NODE_REMOVE_AFTER keep their standalone meaning and apply to every cluster. Throws a ConfigError
 * naming the first wrong variable.
 * The leader-election identity is generated here, once per call: `<podName>_<random UUID>`.
 */
export function parseOperatorConfig(env: Env): OperatorConfig {
  const bind = readBind(env, DEFAULT_BIND);
  const namespace = readString(env, "POD_NAMESPACE");
  if (namespace === undefined || !DNS1123_LABEL.test(namespace)) {
    throw new ConfigError(
      "POD_NAMESPACE",
      "must name the operator's namespace (set it from the downward API: fieldRef metadata.namespace)",
      namespace,
    );
  }
  const leaseDurationMs = readDuration(env, "LEADER_ELECTION_LEASE_DURATION", "15s");
  const renewDeadlineMs = readDuration(env, "LEADER_ELECTION_RENEW_DEADLINE", "10s");
  if (renewDeadlineMs >= leaseDurationMs) {
    throw new ConfigError(
      "LEADER_ELECTION_RENEW_DEADLINE",
      "must be shorter than LEADER_ELECTION_LEASE_DURATION",
      `${renewDeadlineMs}ms`,
    );
  }
  const podName = readString(env, "POD_NAME") ?? hostname();
  return {
    bind,
    logLevel: readLogLevel(env),
    namespace,
    podName,
    identity: `${podName}_${randomUUID()}`,
    managementUrl:
      readHttpUrl(env, "OPERATOR_MANAGEMENT_URL") ?? `http://hugr-operator.${namespace}.svc:${bind.port}`,
    watchNamespaces: readWatchNamespaces(env),
    leaderElection: {
      enabled: readBool(env, "LEADER_ELECT", true),
      leaseName: readLeaseName(env),
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs: readDuration(env, "LEADER_ELECTION_RETRY_PERIOD", "2s"),
    },
    maxConcurrentReconciles: readInt(env, "MAX_CONCURRENT_RECONCILES", 4, 1),
    resyncMs: readDuration(env, "RESYNC_PERIOD", "10m"),
    timeoutMs: readDuration(env, "TIMEOUT", "30s"),
    checkIntervalMs: readDuration(env, "CHECK", "1m"),
    removeAfterMs: readDuration(env, "NODE_REMOVE_AFTER", "5m"),
  };
}

function readWatchNamespaces(env: Env): string[] {
  const namespaces = readList(env, "WATCH_NAMESPACES");
  const wrong = namespaces.find((ns) => !DNS1123_LABEL.test(ns));
  if (wrong !== undefined) {
    throw new ConfigError("WATCH_NAMESPACES", "must be a comma-separated list of namespace names", wrong);
  }
  return namespaces;
}

function readLeaseName(env: Env): string {
  const name = readString(env, "LEADER_ELECTION_LEASE_NAME") ?? "hugr-operator";
  if (!DNS1123_LABEL.test(name)) {
    throw new ConfigError("LEADER_ELECTION_LEASE_NAME", "must be a DNS-1123 label", name);
  }
  return name;
}
