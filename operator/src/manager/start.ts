import { listen, type Logger } from "@hugr/common";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { HugrCluster, HugrDataSource, HugrObjectStorage } from "../api/v1alpha1/index.js";
import type { OperatorConfig } from "../config/index.js";
import { createClusterReconciler, type ClusterEventRecorder } from "../controllers/cluster/index.js";
import { createDataSourceReconciler, namesakes } from "../controllers/datasource/index.js";
import type { ServedEventRecorder } from "../controllers/common/served-events.js";
import { createClusterMirror } from "../controllers/mirror/index.js";
import { createStorageReconciler } from "../controllers/storage/index.js";
import {
  collectionPath,
  createCachedReader,
  createControllerMetrics,
  createEventRecorder,
  createKubeClients,
  isTerminalError,
  informerMetrics,
  observeReconcile,
  referenceTo,
  runWorkers,
  startInformer,
  type CachedReader,
  type CacheSource,
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
import { createLeadership, type Controller, type Leadership } from "./leadership.js";
import { createRelevantChangeFilter } from "./predicates.js";
import {
  clustersReferencing,
  HUGR_CLUSTERS,
  HUGR_DATA_SOURCES,
  HUGR_OBJECT_STORAGES,
  keyOf,
  OWNED_KINDS,
  OWNED_SELECTOR,
  ownerKey,
  perNamespace,
  RELOAD_SELECTOR,
  SECRETS,
  servedBy,
  servedReferencing,
} from "./watches.js";

export interface RunningOperator {
  /** Base URL of the management API, e.g. http://127.0.0.1:14000 */
  url: string;
  port: number;
  isLeader(): boolean;
  /** Stops reconciling, releases the Lease (a standby takes over at once) and closes everything. */
  close(): Promise<void>;
}

/** The controllers, by the kind they reconcile. */
const CLUSTERS = "hugrcluster";
const DATA_SOURCES = "hugrdatasource";
const STORAGES = "hugrobjectstorage";
/** The cached HugrDataSources of one namespace. */
const dataSourcesIn = (watches: Pick<Watches, "list">, namespace: string): HugrDataSource[] =>
  (watches.list(HUGR_DATA_SOURCES) as HugrDataSource[]).filter((o) => o.metadata.namespace === namespace);

/** How long open requests (fan-outs among them) get to finish on shutdown. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Pause between attempts to label the leader's pod (the Service has no endpoint until it is). */
const LABEL_RETRY_MS = 2_000;

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
  // Informers and cluster coordinations enqueue through the current term (called only once it exists).
  const enqueue = (controller: string, key: string): void => leadership.enqueue(controller, key);
  const runtimes = createClusterRuntimes({
    timeoutMs: config.timeoutMs,
    checkIntervalMs: config.checkIntervalMs,
    removeAfterMs: config.removeAfterMs,
    logger,
    metrics,
    // Membership changed: the cluster's status, and the per-node state of what it serves, follow.
    onNodesChanged: (id) => {
      enqueue(CLUSTERS, id);
      for (const key of servedBy(id, watches.listServed(HUGR_DATA_SOURCES))) enqueue(DATA_SOURCES, key);
      for (const key of servedBy(id, watches.listServed(HUGR_OBJECT_STORAGES))) enqueue(STORAGES, key);
    },
    operationsFor: (id) => {
      const [namespace = "", name = ""] = id.split("/");
      return createClusterMirror({
        clients,
        cache: watches.cache,
        cluster: { namespace, name },
        timeoutMs: mirrorTimeoutMs(config),
      });
    },
  });
  // Started before the reconcilers, which read from their caches; events reach the leadership
  // created below only after this synchronous setup (through `enqueue`).
  const watches = startWatches({ config, kubeConfig, logger, enqueue, metrics: controllerMetrics });
  const { cache } = watches;
  const events = createEventRecorder({ api: clients.events, identity: config.podName, logger });
  const recordEvent: ClusterEventRecorder = (cluster, event) =>
    void events.record(referenceTo(cluster as KubernetesObject), event);
  const servedEvent: ServedEventRecorder = (resource, event) =>
    void events.record(referenceTo(resource), event);
  const reconcilers = {
    [CLUSTERS]: createClusterReconciler({
      clients,
      cache,
      runtimes,
      managementUrl: config.managementUrl,
      recordEvent,
      logger,
    }),
    [DATA_SOURCES]: createDataSourceReconciler({
      clients,
      cache,
      listDataSources: (namespace) => dataSourcesIn(watches, namespace),
      runtimes,
      recordEvent: servedEvent,
      logger,
    }),
    [STORAGES]: createStorageReconciler({ clients, cache, runtimes, recordEvent: servedEvent, logger }),
  };
  const controller = (name: keyof typeof reconcilers, ref: CollectionRef): Controller => ({
    name,
    async run(queue) {
      await allSynced;
      for (const object of watches.list(ref)) queue.add(keyOf(object));
      await runWorkers(
        queue,
        config.maxConcurrentReconciles,
        timed(name, reconcilers[name], controllerMetrics),
        (key, error) => {
          const next = isTerminalError(error) ? "not retried until it changes" : "retrying with backoff";
          logger.error({ controller: name, key, err: error }, `reconcile failed; ${next}`);
        },
      );
    },
  });

  const leadership: Leadership = createLeadership({
    coordination: clients.coordination,
    config,
    logger,
    metrics: controllerMetrics,
    controllers: [
      controller(CLUSTERS, HUGR_CLUSTERS),
      controller(DATA_SOURCES, HUGR_DATA_SOURCES),
      controller(STORAGES, HUGR_OBJECT_STORAGES),
    ],
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

  const informers = watches.all;
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
      await Promise.all(informers.map((i) => i.informer.stop()));
      logger.info("operator stopped");
    },
  };
}

/**
 * How long a mirrored GraphQL change waits for its reconcile: a fan-out takes up to TIMEOUT, and the
 * worker waits TIMEOUT plus 5 s for the answer (RegisterNodeResponse.operationTimeoutMs), so the
 * operator answers RECONCILE_TIMEOUT before the worker gives up on the request.
 */
function mirrorTimeoutMs(config: OperatorConfig): number {
  return config.timeoutMs + 3_000;
}

/** Counts each reconcile's outcome and duration. */
function timed(
  controller: string,
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
        controller,
        outcome?.requeueAfterMs === undefined ? "success" : "requeue",
        seconds(),
      );
      return outcome;
    } catch (error) {
      observeReconcile(metrics, controller, "error", seconds());
      throw error;
    }
  };
}

interface WatchOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  enqueue: (controller: string, key: string) => void;
  metrics: ControllerMetrics;
}

interface NamedInformer extends CacheSource {
  name: string;
  informer: Informer<KubernetesObject>;
}

/** The running informers, by collection. */
interface Watches {
  all: NamedInformer[];
  /** The cached objects of one kind (every watched namespace). */
  list(ref: CollectionRef): KubernetesObject[];
  listServed(ref: CollectionRef): (HugrDataSource | HugrObjectStorage)[];
  /** Reads from every informer's cache (kube/cache.ts). */
  cache: CachedReader;
}

/**
 * The informers: the three kinds (each term lists them; spec and metadata changes wake their
 * controller), every kind a HugrCluster owns (drift is corrected at once), and Secrets that carry
 * the reload label (whoever references them is reconciled again).
 */
function startWatches(options: WatchOptions): Watches {
  const { config, enqueue } = options;
  const each = (ref: CollectionRef): CollectionRef[] => perNamespace(ref, config.watchNamespaces);
  const byKind = new Map<string, NamedInformer[]>();
  const own = (
    ref: CollectionRef,
    controller: string,
    related: (obj: KubernetesObject) => string[] = () => [],
  ): NamedInformer[] => {
    const relevant = createRelevantChangeFilter();
    const informers = each(ref).map((one) =>
      watch(options, { ref: one }, (obj, change) => {
        if (!relevant(obj, change)) return;
        enqueue(controller, keyOf(obj));
        for (const key of related(obj)) enqueue(controller, key);
      }),
    );
    byKind.set(ref.plural, informers);
    return informers;
  };
  const list = (ref: CollectionRef): KubernetesObject[] =>
    (byKind.get(ref.plural) ?? []).flatMap(({ informer }) => informer.list());
  const listServed = (ref: CollectionRef): (HugrDataSource | HugrObjectStorage)[] =>
    list(ref) as (HugrDataSource | HugrObjectStorage)[];
  const kinds = [
    ...own(HUGR_CLUSTERS, CLUSTERS),
    // A data source that changes or goes wakes the others naming the same source (NameConflict).
    ...own(HUGR_DATA_SOURCES, DATA_SOURCES, (obj) =>
      namesakes(obj as HugrDataSource, dataSourcesIn({ list }, obj.metadata?.namespace ?? "")).map(keyOf),
    ),
    ...own(HUGR_OBJECT_STORAGES, STORAGES),
  ];
  const owned = OWNED_KINDS.flatMap(each).map((ref) =>
    watch(options, { ref, labelSelector: OWNED_SELECTOR }, (obj) => {
      const key = ownerKey(obj);
      if (key !== undefined) enqueue(CLUSTERS, key);
    }),
  );
  const reloads = each(SECRETS).map((ref) =>
    watch(options, { ref, labelSelector: RELOAD_SELECTOR, role: "reload" }, (secret) => {
      for (const key of clustersReferencing(secret, list(HUGR_CLUSTERS) as HugrCluster[]))
        enqueue(CLUSTERS, key);
      for (const key of servedReferencing(secret, listServed(HUGR_DATA_SOURCES))) enqueue(DATA_SOURCES, key);
      for (const key of servedReferencing(secret, listServed(HUGR_OBJECT_STORAGES))) enqueue(STORAGES, key);
    }),
  );
  const all = [...kinds, ...owned, ...reloads];
  return { all, list, listServed, cache: createCachedReader(all) };
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
  return { name, informer, ref, ...(labelSelector === undefined ? {} : { labelSelector }) };
}
