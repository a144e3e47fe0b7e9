import { listen, type Logger } from "@hugr/common";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { HugrCluster } from "../api/v1alpha1/index.js";
import type { OperatorConfig } from "../config/index.js";
import { createClusterReconciler, type ClusterEventRecorder } from "../controllers/cluster/index.js";
import {
  collectionPath,
  createControllerMetrics,
  createEventRecorder,
  createKubeClients,
  informerMetrics,
  observeReconcile,
  referenceTo,
  runWorkers,
  startInformer,
  type ChangeType,
  type CollectionRef,
  type ControllerMetrics,
  type Informer,
  type ReconcileOutcome,
} from "../kube/index.js";
import {
  createClusterRuntimes,
  createManagementApp,
  createManagementMetrics,
  type ProbeResult,
} from "../management/index.js";
import { createLeaderPodLabel } from "./leader-pod.js";
import { createLeadership, type Leadership } from "./leadership.js";
import { createRelevantChangeFilter } from "./predicates.js";
import {
  clustersReferencing,
  HUGR_CLUSTERS,
  keyOf,
  OWNED_KINDS,
  OWNED_SELECTOR,
  ownerKey,
  perNamespace,
  RELOAD_SELECTOR,
  SECRETS,
} from "./watches.js";

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
  // A container restarted in the same pod must not keep the label of a leadership it lost.
  const leaderPod = createLeaderPodLabel(
    clients.core,
    { namespace: config.namespace, name: config.identity },
    logger,
  );
  await leaderPod.mark(false);
  let closing = false;
  // Informers and cluster coordinations enqueue through the current term (called only once it exists).
  const enqueue = (key: string): void => leadership.enqueue(key);
  const runtimes = createClusterRuntimes({
    timeoutMs: config.timeoutMs,
    checkIntervalMs: config.checkIntervalMs,
    removeAfterMs: config.removeAfterMs,
    logger,
    metrics,
    onNodesChanged: enqueue,
  });
  const events = createEventRecorder({ api: clients.events, identity: config.identity, logger });
  const recordEvent: ClusterEventRecorder = (cluster, event) =>
    void events.record(referenceTo(cluster as KubernetesObject), event);
  const reconcile = timed(
    createClusterReconciler({ clients, runtimes, managementUrl: config.managementUrl, recordEvent, logger }),
    controllerMetrics,
  );

  const leadership: Leadership = createLeadership({
    coordination: clients.coordination,
    config,
    logger,
    metrics: controllerMetrics,
    controller: CONTROLLER,
    async lead(queue) {
      await allSynced;
      for (const { informer } of watches.clusters) {
        for (const cluster of informer.list()) queue.add(keyOf(cluster));
      }
      await runWorkers(queue, config.maxConcurrentReconciles, reconcile, (key, error) => {
        logger.error({ cluster: key, err: error }, "reconcile failed; retrying with backoff");
      });
    },
    onStarted() {
      runtimes.setServing(true);
      void labelAsLeader();
    },
    async onStopped() {
      runtimes.setServing(false);
      await runtimes.closeAll();
      await leaderPod.mark(false);
    },
  });

  const watches = startWatches({ config, kubeConfig, logger, enqueue, metrics: controllerMetrics });
  const informers = [...watches.clusters, ...watches.owned];
  let synced = false;
  const allSynced = Promise.all(informers.map((i) => i.informer.synced())).then(() => {
    synced = true;
  });

  async function labelAsLeader(): Promise<void> {
    while (leadership.isLeading() && !closing && !(await leaderPod.mark(true))) {
      await new Promise((resolve) => setTimeout(resolve, LABEL_RETRY_MS));
    }
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
  leadership.start();
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
    isLeader: () => leadership.isLeading() ?? false,
    async close() {
      closing = true;
      // Open requests (fan-outs among them) finish first, then the term ends and the Lease goes.
      await server.close(CLOSE_TIMEOUT_MS);
      await leadership.stop();
      await Promise.all(informers.map((i) => i.informer.stop()));
      logger.info("operator stopped");
    },
  };
}

/** Counts each reconcile's outcome and duration. */
function timed(
  run: (key: string) => Promise<ReconcileOutcome | void>,
  metrics: ControllerMetrics,
): (key: string) => Promise<ReconcileOutcome | void> {
  return async (key) => {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const outcome = await run(key);
      observeReconcile(
        metrics,
        CONTROLLER,
        outcome?.requeueAfterMs === undefined ? "success" : "requeue",
        seconds(),
      );
      return outcome;
    } catch (error) {
      observeReconcile(metrics, CONTROLLER, "error", seconds());
      throw error;
    }
  };
}

interface WatchOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  enqueue: (key: string) => void;
  metrics: ControllerMetrics;
}

interface NamedInformer {
  name: string;
  informer: Informer<KubernetesObject>;
}

/**
 * The informers: HugrClusters (each term lists them), every kind a HugrCluster owns (drift is
 * corrected at once), and referenced Secrets that carry the reload label.
 */
function startWatches(options: WatchOptions): { clusters: NamedInformer[]; owned: NamedInformer[] } {
  const { config, enqueue } = options;
  const each = (ref: CollectionRef): CollectionRef[] => perNamespace(ref, config.watchNamespaces);
  const relevant = createRelevantChangeFilter();
  const clusters = each(HUGR_CLUSTERS).map((ref) =>
    watch(options, { ref }, (obj, change) => {
      if (relevant(obj, change)) enqueue(keyOf(obj));
    }),
  );
  const owned = OWNED_KINDS.flatMap(each).map((ref) =>
    watch(options, { ref, labelSelector: OWNED_SELECTOR }, (obj) => {
      const key = ownerKey(obj);
      if (key !== undefined) enqueue(key);
    }),
  );
  const reloads = each(SECRETS).map((ref) =>
    watch(options, { ref, labelSelector: RELOAD_SELECTOR, role: "reload" }, (secret) => {
      const known = clusters.flatMap(({ informer }) => informer.list() as HugrCluster[]);
      for (const key of clustersReferencing(secret, known)) enqueue(key);
    }),
  );
  return { clusters, owned: [...owned, ...reloads] };
}

interface WatchTarget {
  ref: CollectionRef;
  labelSelector?: string;
  /** Tells two watches of one kind apart in logs and metrics. */
  role?: string;
}

function watch(
  options: WatchOptions,
  target: WatchTarget,
  onChange: (obj: KubernetesObject, change: ChangeType) => void,
): NamedInformer {
  const { ref, labelSelector, role } = target;
  const name = [ref.plural, ref.namespace, role].filter(Boolean).join("/");
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
