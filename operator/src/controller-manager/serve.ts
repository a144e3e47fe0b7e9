import { listen, type Listening, type Logger } from "@hugr/common";
import type { OperatorConfig } from "../config/index.js";
import {
  createManagementApp,
  type ClusterRuntimes,
  type ManagementMetrics,
  type ProbeResult,
} from "../management-api/index.js";
import type { Informers } from "./informers.js";

export interface ServeOptions {
  config: OperatorConfig;
  runtimes: ClusterRuntimes;
  informers: Pick<Informers, "isSynced" | "unhealthy">;
  /** True once the operator is shutting down: it then reports not ready. */
  closing: () => boolean;
  logger: Logger;
  metrics: ManagementMetrics;
}

/**
 * Serves the management API of every HugrCluster's workers (answering 503 UNAVAILABLE until this
 * replica leads), with the probes and the metrics.
 */
export async function serveManagementApi(options: ServeOptions): Promise<Listening> {
  const { informers, closing, logger, metrics } = options;
  const probes = {
    live: (): ProbeResult => {
      const unhealthy = informers.unhealthy();
      return unhealthy.length === 0
        ? { ok: true }
        : { ok: false, reason: `watches failing: ${unhealthy.join(", ")}` };
    },
    // Every replica with synced caches is ready (standbys too, so rollouts and PDBs work); the
    // Service selects the leader by its pod label.
    ready: (): ProbeResult =>
      informers.isSynced() && !closing() ? { ok: true } : { ok: false, reason: "caches are not synced yet" },
  };
  const app = createManagementApp({ clusters: options.runtimes, layout: "multi", logger, metrics, probes });
  return listen(app.fetch, options.config.bind);
}
