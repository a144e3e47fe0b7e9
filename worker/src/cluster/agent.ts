import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@hugr/common";
import { ProtocolError, type AuthSettings, type NodeClusterConfig } from "@hugr/protocol";
import pRetry from "p-retry";
import type { ClusterConfig } from "../config/index.js";
import type { Readiness } from "../http/index.js";
import type { WorkerMetrics } from "../observability/index.js";
import { applyClusterConfig, type ClusterTargets } from "./apply.js";
import type { ManagementClients } from "./clients.js";
import type { ClusterMode } from "./mode.js";

export interface ClusterAgentOptions {
  config: ClusterConfig;
  version: string;
  management: ManagementClients;
  targets: ClusterTargets;
  /** Told, with every configuration, who owns the data sources (read by the data source writer). */
  mode: ClusterMode;
  readiness: Readiness;
  logger: Logger;
  metrics: Pick<WorkerMetrics, "clusterRegistrations" | "clusterHeartbeats" | "clusterConfigApplies">;
  /** Receives the authentication settings the management node distributes. */
  onAuthSettings?: (settings: AuthSettings) => void;
}

/**
 * The node's membership: registers (retrying with backoff while the management node is
 * unreachable), applies the cluster configuration and only then reports ready, heartbeats,
 * registers again when the management node forgot it, and deregisters on stop.
 */
export interface ClusterAgent {
  /** Registers and converges; resolves once the node is ready, or when stopped. */
  start(): Promise<void>;
  /** Stops heartbeats and deregisters (best effort, bounded by CLUSTER_TIMEOUT). */
  stop(): Promise<void>;
}

/** Between registration attempts: 200 ms, doubling, at most 10 s apart, for as long as it takes. */
const REGISTER_BACKOFF = { minTimeout: 200, factor: 2, maxTimeout: 10_000, retries: Infinity } as const;

export function createClusterAgent(options: ClusterAgentOptions): ClusterAgent {
  const { config, logger, readiness, metrics } = options;
  const management = options.management.membership;
  const abort = new AbortController();
  let heartbeatMs = 15_000;
  let appliedVersion = "";
  let heartbeatLoop: Promise<void> | undefined;

  async function apply(clusterConfig: NodeClusterConfig, initial: boolean): Promise<void> {
    options.mode.update(clusterConfig);
    options.onAuthSettings?.(clusterConfig.auth);
    await applyClusterConfig(clusterConfig, options.targets, initial);
    appliedVersion = clusterConfig.version;
    metrics.clusterConfigApplies.inc();
    logger.info(
      { configVersion: appliedVersion, initial, management: options.mode.current() },
      "cluster configuration applied",
    );
  }

  /** One registration and the configuration it brings. */
  async function registerOnce(attempt: number): Promise<void> {
    try {
      const answer = await management.register({
        name: config.nodeName,
        url: config.nodeUrl,
        version: options.version,
      });
      heartbeatMs = answer.heartbeatIntervalMs;
      options.management.setOperationTimeout(answer.operationTimeoutMs);
      metrics.clusterRegistrations.inc({ result: "ok" });
      logger.info({ node: config.nodeName, attempt }, "registered with the management node");
      await apply(answer.config, readiness.phase() === "starting");
    } catch (error) {
      metrics.clusterRegistrations.inc({ result: "failed" });
      // p-retry gives up at a TypeError (to it, a bug). A node keeps trying whatever failed: an
      // answer it cannot apply (from a management node of another version, say) is fixed there, and
      // the next attempt gets the fixed one.
      throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
    }
  }

  /** Registers, retrying with backoff until it succeeds or the agent stops. */
  async function register(): Promise<void> {
    await pRetry(registerOnce, {
      ...REGISTER_BACKOFF,
      signal: abort.signal,
      onFailedAttempt: ({ error, attemptNumber, retryDelay }) =>
        logger.warn(
          { attempt: attemptNumber, retryInMs: retryDelay, err: error.message },
          "registration failed, retrying",
        ),
    }).catch((error: unknown) => {
      if (!abort.signal.aborted) throw error;
    });
  }

  async function heartbeat(): Promise<void> {
    const ready = readiness.phase() === "ready";
    try {
      const answer = await management.heartbeat(config.nodeName, {
        url: config.nodeUrl,
        version: options.version,
        ready,
        error: ready ? "" : `node is ${readiness.phase()}`,
        configVersion: appliedVersion,
      });
      metrics.clusterHeartbeats.inc({ result: "ok" });
      if (answer.config) await apply(answer.config, false);
    } catch (error) {
      if (error instanceof ProtocolError && error.code === "NODE_NOT_REGISTERED") {
        metrics.clusterHeartbeats.inc({ result: "unknown_node" });
        logger.warn(
          "the management node does not know this node (it restarted or removed it): registering again",
        );
        await register();
        await heartbeat();
        return;
      }
      // Unreachable management: keep serving what we have, and try again next beat.
      metrics.clusterHeartbeats.inc({ result: "failed" });
      logger.warn({ err: describe(error) }, "heartbeat failed");
    }
  }

  async function beat(): Promise<void> {
    while (!abort.signal.aborted) {
      await sleep(heartbeatMs, undefined, { signal: abort.signal }).catch(() => undefined);
      if (!abort.signal.aborted) await heartbeat();
    }
  }

  return {
    async start() {
      await register();
      if (abort.signal.aborted) return;
      readiness.set("ready");
      await heartbeat(); // tell the management node at once, rather than a heartbeat interval later
      heartbeatLoop = beat();
    },
    async stop() {
      abort.abort();
      await heartbeatLoop;
      try {
        await management.deregister(config.nodeName);
        logger.info("deregistered from the management node");
      } catch (error) {
        logger.warn({ err: describe(error) }, "could not deregister");
      }
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
