import { existsSync } from "node:fs";
import { ConfigError, type Env } from "@hugr/common";
import type { Mode } from "./types.js";

/** Where a pod's service account token is mounted. */
const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * The run mode: `--mode standalone|kubernetes` wins; otherwise Kubernetes when a configuration for
 * it exists (an in-cluster service account or KUBECONFIG), standalone when none does.
 */
export function selectMode(argv: readonly string[], env: Env, tokenPath = IN_CLUSTER_TOKEN): Mode {
  const flag = modeFlag(argv);
  if (flag !== undefined) {
    if (flag !== "standalone" && flag !== "kubernetes") {
      throw new ConfigError("--mode", 'must be "standalone" or "kubernetes"', flag);
    }
    return flag;
  }
  const inCluster = env["KUBERNETES_SERVICE_HOST"] !== undefined && existsSync(tokenPath);
  return inCluster || (env["KUBECONFIG"] ?? "") !== "" ? "kubernetes" : "standalone";
}

function modeFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg.startsWith("--mode=")) return arg.slice("--mode=".length);
    if (arg === "--mode") return argv[i + 1] ?? "";
  }
  return undefined;
}
