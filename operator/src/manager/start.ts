import { listen, type Logger } from "@hugr/common";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { OperatorConfig } from "../config/index.js";
import { createClusterReconciler, type ClusterEventRecorder } from "../controllers/cluster/index.js";
import {
  collectionPath,
  createControllerMetrics,
  createEventRecorder,
  createKubeClients,
  createLeaderElector,
  informerMetrics,
  observeReconcile,
  referenceTo,
  runWorkers,
  startInformer,
  WorkQueue,
  workQueueMetrics,
  type ChangeType,
  type CollectionRef,
  type Informer,
  type LeaderElector,
} from "../kube/index.js";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  createClusterRuntimes,
  createManagementApp,
  createManagementMetrics,
  type ProbeResult,
} from "../management/index.js";
import { createLeaderPodLabel } from "./leader-pod.js";
import { createRelevantChangeFilter } from "./predicates.js";
import { HUGR_CLUSTERS, keyOf, OWNED_KINDS, OWNED_SELECTOR, ownerKey, perNamespace } from "./watches.js";

export interface RunningOperator {
  /** Base URL of the management API, e.g. http://127.0.0.1:14000 */
  url: string;
  port: number;
  isLeader(): boolean;
  /** Stops reconciling, releases the Lease (a standby takes over at once) and closes everything. */
  close(): Promise<void>;
}

const CONTROLLER = "hugrcluster";
/** How long open requests (fan-outs among them) get to finish on shutdown. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Pause between attempts to label the leader's pod (the Service has no endpoint until it is). */
const LABEL_RETRY_MS = 2_000;

/**
 * Starts the operator: the management API for every HugrCluster's workers, informers on the
 * HugrClusters and what they own, and, while this replica holds the Lease, the reconcile workers.
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
  const queue = new WorkQueue({ metrics: workQueueMetrics(controllerMetrics, CONTROLLER) });
  const runtimes = createClusterRuntimes({
    timeoutMs: config.timeoutMs,
    checkIntervalMs: config.checkIntervalMs,
    removeAfterMs: config.removeAfterMs,
    logger,
    metrics,
    onNodesChanged: (id) => queue.add(id),
  });
  const events = createEventRecorder({ api: clients.events, identity: config.identity, logger });
  const recordEvent: ClusterEventRecorder = (cluster, event) =>
    void events.record(referenceTo(cluster as KubernetesObject), event);
  const reconcile = createClusterReconciler({
    clients,
    runtimes,
    managementUrl: config.managementUrl,
    recordEvent,
    logger,
  });

  const watches = startWatches({ config, kubeConfig, logger, queue, metrics: controllerMetrics });
  const informers = [...watches.clusters, ...watches.owned];
  let synced = false;
  const allSynced = Promise.all(informers.map((i) => i.informer.synced())).then(() => {
    synced = true;
  });
  // A container restarted in the same pod must not keep the label of a leadership it lost.
  const leaderPod = createLeaderPodLabel(
    clients.core,
    { namespace: config.namespace, name: config.identity },
    logger,
  );
  await leaderPod.mark(false);
  let leading = !config.leaderElection.enabled;
  let closing = false;
  let workers: Promise<void> | undefined;

  const startLeading = (): void => {
    leading = true;
    controllerMetrics.leader.set(1);
    runtimes.setServing(true);
    logger.info({ identity: config.identity }, "leading: reconciling and serving the management API");
    void labelAsLeader();
    workers = allSynced
      .then(() => {
        for (const { informer } of watches.clusters) {
          for (const cluster of informer.list()) queue.add(keyOf(cluster));
        }
        return runWorkers(queue, config.maxConcurrentReconciles, timed(reconcile), (key, error) => {
          logger.error({ cluster: key, err: error }, "reconcile failed; retrying with backoff");
        });
      })
      .catch((error: unknown) => logger.error({ err: error }, "reconcile workers stopped"));
  };

  const elector: LeaderElector | undefined = config.leaderElection.enabled
    ? createLeaderElector(clients.coordination, {
        namespace: config.namespace,
        name: config.leaderElection.leaseName,
        identity: config.identity,
        leaseDurationMs: config.leaderElection.leaseDurationMs,
        renewDeadlineMs: config.leaderElection.renewDeadlineMs,
        retryPeriodMs: config.leaderElection.retryPeriodMs,
        onStartedLeading: startLeading,
        onStoppedLeading: () => {
          if (closing) return; // release() on shutdown ends leadership on purpose
          // As controller-runtime does: a replica that lost the Lease exits, and comes back as a standby.
          logger.fatal("lost the leader election lease: exiting so that only one replica reconciles");
          process.exit(1);
        },
        logger,
      })
    : undefined;

  async function labelAsLeader(): Promise<void> {
    while (leading && !closing && !(await leaderPod.mark(true))) {
      await new Promise((resolve) => setTimeout(resolve, LABEL_RETRY_MS));
    }
  }

  function timed(run: typeof reconcile): typeof reconcile {
    return async (key) => {
      const started = performance.now();
      try {
        const outcome = await run(key);
        const result = outcome?.requeueAfterMs === undefined ? "success" : "requeue";
        observeReconcile(controllerMetrics, CONTROLLER, result, (performance.now() - started) / 1000);
        return outcome;
      } catch (error) {
        observeReconcile(controllerMetrics, CONTROLLER, "error", (performance.now() - started) / 1000);
        throw error;
      }
    };
  }

  const probes = {
    live: (): ProbeResult => {
      const unhealthy = informers.filter((i) => !i.informer.healthy()).map((i) => i.name);
      return unhealthy.length === 0
        ? { ok: true }
        : { ok: false, reason: `watches failing: ${unhealthy.join(", ")}` };
    },
    // Every replica with synced caches is ready (standbys too, so rollouts and PDBs work); the
    // Service selects the leader by its pod label.
    ready: (): ProbeResult =>
      synced && !closing ? { ok: true } : { ok: false, reason: "caches are not synced yet" },
  };
  const app = createManagementApp({ clusters: runtimes, layout: "multi", logger, metrics, probes });
  const server = await listen(app.fetch, config.bind);
  if (elector) elector.start();
  else startLeading();
  logger.info(
    {
      address: server.address,
      managementUrl: config.managementUrl,
      namespaces: config.watchNamespaces,
      identity: config.identity,
    },
    "operator started",
  );

  return {
    url: server.url,
    port: server.port,
    isLeader: () => leading,
    async close() {
      closing = true;
      queue.shutDown();
      await workers;
      await server.close(CLOSE_TIMEOUT_MS);
      if (leading) await leaderPod.mark(false);
      await elector?.release();
      await Promise.all(informers.map((i) => i.informer.stop()));
      await runtimes.closeAll();
      logger.info("operator stopped");
    },
  };
}

interface WatchOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  queue: WorkQueue;
  metrics: ReturnType<typeof createControllerMetrics>;
}

interface NamedInformer {
  name: string;
  informer: Informer<KubernetesObject>;
}

/** The HugrCluster informers (startLeading lists them) and those of every owned kind. */
function startWatches(options: WatchOptions): { clusters: NamedInformer[]; owned: NamedInformer[] } {
  const { config, queue } = options;
  const relevant = createRelevantChangeFilter();
  const clusters = perNamespace(HUGR_CLUSTERS, config.watchNamespaces).map((ref) =>
    watch(options, ref, undefined, (obj, change) => {
      if (relevant(obj, change)) queue.add(keyOf(obj));
    }),
  );
  const owned = OWNED_KINDS.flatMap((kind) => perNamespace(kind, config.watchNamespaces)).map((ref) =>
    watch(options, ref, OWNED_SELECTOR, (obj) => {
      const key = ownerKey(obj);
      if (key !== undefined) queue.add(key);
    }),
  );
  return { clusters, owned };
}

function watch(
  options: WatchOptions,
  ref: CollectionRef,
  labelSelector: string | undefined,
  onChange: (obj: KubernetesObject, change: ChangeType) => void,
): NamedInformer {
  const name = ref.namespace ? `${ref.plural}/${ref.namespace}` : ref.plural;
  const informer = startInformer<KubernetesObject>({
    kubeConfig: options.kubeConfig,
    path: collectionPath(ref),
    ...(labelSelector === undefined ? {} : { labelSelector }),
    onChange,
    logger: options.logger,
    resource: name,
    resyncMs: options.config.resyncMs,
    metrics: informerMetrics(options.metrics, name),
  });
  return { name, informer };
}
