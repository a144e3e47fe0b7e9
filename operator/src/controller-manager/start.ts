import type { Logger } from "@hugr/common";
import type { KubeConfig } from "@kubernetes/client-node";
import type { OperatorConfig } from "../config/index.js";
import { createControllerMetrics, createKubeClients } from "../kube/index.js";
import { createManagementMetrics } from "../management-api/index.js";
import { createControllers } from "./controllers.js";
import { createCoordinations } from "./coordinations.js";
import { startInformers } from "./informers.js";
import { createLeaderPodLabel, labelWhileLeading } from "./leader-pod.js";
import { createLeadership } from "./leadership.js";
import { serveManagementApi } from "./serve.js";

export interface RunningOperator {
  /** Base URL of the management API, e.g. http://127.0.0.1:14000 */
  url: string;
  port: number;
  isLeader(): boolean;
  /** Stops reconciling, releases the Lease (a standby takes over at once) and closes everything. */
  close(): Promise<void>;
}

/** How long open requests (fan-outs among them) get to finish on shutdown. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Starts the operator: the management API for every HugrCluster's workers, informers on the three
 * kinds and what a HugrCluster owns, and, while this replica holds the Lease, the reconcile workers
 * of the three controllers.
 * Caches run on every replica, so a standby that takes over starts with them warm; only the
 * leader reconciles and serves workers (its pod carries LEADER_LABEL, which the Service selects;
 * a standby answers the management API with 503 UNAVAILABLE).
 */
export async function startOperator(
  config: OperatorConfig,
  kubeConfig: KubeConfig,
  logger: Logger,
): Promise<RunningOperator> {
  const clients = createKubeClients(kubeConfig);
  const metrics = createManagementMetrics();
  const controllerMetrics = createControllerMetrics(metrics.registry);
  // A container restarted in the same pod must not keep the label of a leadership it lost.
  const leaderPod = createLeaderPodLabel(
    clients.core,
    { namespace: config.namespace, name: config.podName },
    logger,
  );
  await leaderPod.mark(false);
  let closing = false;
  // Queues nothing until it leads; the informers and coordinations feed it from the start.
  const leadership = createLeadership({
    coordination: clients.coordination,
    config,
    logger,
    metrics: controllerMetrics,
  });
  const enqueue = (controller: string, key: string): void => leadership.enqueue(controller, key);
  const informers = startInformers({ config, kubeConfig, logger, enqueue, metrics: controllerMetrics });
  const runtimes = createCoordinations({ config, clients, informers, enqueue, logger, metrics });
  const controllers = createControllers({
    config,
    clients,
    cache: informers.cache,
    list: (ref) => informers.list(ref),
    synced: informers.synced,
    runtimes,
    logger,
    metrics: controllerMetrics,
  });
  const server = await serveManagementApi({
    config,
    runtimes,
    informers,
    closing: () => closing,
    logger,
    metrics,
  });
  leadership.start({
    controllers,
    onStarted() {
      runtimes.setServing(true);
      void labelWhileLeading(leaderPod, () => leadership.isLeading() && !closing);
    },
    async onStopped() {
      runtimes.setServing(false);
      await runtimes.closeAll();
      await leaderPod.mark(false);
    },
  });
  logger.info(
    {
      address: server.address,
      managementUrl: config.managementUrl,
      namespaces: config.watchNamespaces,
      pod: config.podName,
      identity: config.identity,
    },
    "operator started",
  );

  return {
    url: server.url,
    port: server.port,
    isLeader: () => leadership.isLeading(),
    async close() {
      closing = true;
      // Open requests (fan-outs among them) finish first, then the term ends and the Lease goes.
      await server.close(CLOSE_TIMEOUT_MS);
      await leadership.stop();
      await informers.stop();
      logger.info("operator stopped");
    },
  };
}
