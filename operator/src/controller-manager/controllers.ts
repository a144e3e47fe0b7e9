import type { Logger } from "@hugr/common";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { HugrDataSource } from "../api/v1alpha1/index.js";
import type { OperatorConfig } from "../config/index.js";
import { createClusterReconciler, type ClusterEventRecorder } from "../controllers/cluster/index.js";
import type { ServedEventRecorder } from "../controllers/common/served-events.js";
import { createDataSourceReconciler } from "../controllers/datasource/index.js";
import { createStorageReconciler } from "../controllers/storage/index.js";
import {
  createEventRecorder,
  isTerminalError,
  referenceTo,
  runWorkers,
  type CachedReader,
  type CollectionRef,
  type ControllerMetrics,
  type KubeClients,
} from "../kube/index.js";
import type { ClusterRuntimes } from "../management-api/index.js";
import type { Controller } from "./leadership.js";
import { timed, type Reconcile } from "./reconcile-timing.js";
import { HUGR_CLUSTERS, HUGR_DATA_SOURCES, HUGR_OBJECT_STORAGES, keyOf } from "./watches.js";

/** The controllers, by the kind they reconcile: their names in work queues, logs and metrics. */
export const CLUSTERS = "hugrcluster";
export const DATA_SOURCES = "hugrdatasource";
export const STORAGES = "hugrobjectstorage";

/** The cached objects of one kind (every watched namespace). */
export type ListCached = (ref: CollectionRef) => KubernetesObject[];

/** The cached HugrDataSources of one namespace. */
export function dataSourcesIn(list: ListCached, namespace: string): HugrDataSource[] {
  return (list(HUGR_DATA_SOURCES) as HugrDataSource[]).filter((o) => o.metadata.namespace === namespace);
}

export interface ControllerOptions {
  config: OperatorConfig;
  clients: KubeClients;
  cache: CachedReader;
  list: ListCached;
  /** Resolves once every informer has listed: a term reconciles from the caches only after that. */
  synced: Promise<void>;
  runtimes: ClusterRuntimes;
  logger: Logger;
  metrics: ControllerMetrics;
}

/** The HugrCluster, HugrDataSource and HugrObjectStorage controllers, as each term runs them. */
export function createControllers(options: ControllerOptions): Controller[] {
  const reconcile = createReconcilers(options);
  const controller = (name: string, ref: CollectionRef, run: Reconcile): Controller => ({
    name,
    async run(queue) {
      await options.synced;
      // A new term starts from everything: the previous leader's queue is gone.
      for (const object of options.list(ref)) queue.add(keyOf(object));
      await runWorkers(
        queue,
        options.config.maxConcurrentReconciles,
        timed(name, run, options.metrics),
        (key, error) => {
          const next = isTerminalError(error) ? "not retried until it changes" : "retrying with backoff";
          options.logger.error({ controller: name, key, err: error }, `reconcile failed; ${next}`);
        },
      );
    },
  });
  return [
    controller(CLUSTERS, HUGR_CLUSTERS, reconcile.clusters),
    controller(DATA_SOURCES, HUGR_DATA_SOURCES, reconcile.dataSources),
    controller(STORAGES, HUGR_OBJECT_STORAGES, reconcile.storages),
  ];
}

function createReconcilers(
  options: ControllerOptions,
): Record<"clusters" | "dataSources" | "storages", Reconcile> {
  const { config, clients, cache, runtimes, logger } = options;
  const events = createEventRecorder({ api: clients.events, identity: config.podName, logger });
  const recordEvent: ClusterEventRecorder = (cluster, event) =>
    void events.record(referenceTo(cluster as KubernetesObject), event);
  const servedEvent: ServedEventRecorder = (resource, event) =>
    void events.record(referenceTo(resource), event);
  return {
    clusters: createClusterReconciler({
      clients,
      cache,
      runtimes,
      managementUrl: config.managementUrl,
      recordEvent,
      logger,
    }),
    dataSources: createDataSourceReconciler({
      clients,
      cache,
      listDataSources: (namespace) => dataSourcesIn(options.list, namespace),
      runtimes,
      recordEvent: servedEvent,
      logger,
    }),
    storages: createStorageReconciler({ clients, cache, runtimes, recordEvent: servedEvent, logger }),
  };
}
