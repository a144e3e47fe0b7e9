import type { Logger } from "@hugr/common";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { HugrCluster, HugrDataSource, HugrObjectStorage } from "../api/v1alpha1/index.js";
import type { OperatorConfig } from "../config/index.js";
import { namesakes } from "../controllers/datasource/index.js";
import {
  collectionPath,
  createCachedReader,
  informerMetrics,
  startInformer,
  type CachedReader,
  type CacheSource,
  type ChangeType,
  type CollectionRef,
  type ControllerMetrics,
  type Informer,
} from "../kube/index.js";
import { CLUSTERS, DATA_SOURCES, dataSourcesIn, STORAGES } from "./controllers.js";
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
  servedReferencing,
} from "./watches.js";

export interface InformersOptions {
  config: OperatorConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Queues a key for a controller (by its name in controllers.ts). */
  enqueue: (controller: string, key: string) => void;
  metrics: ControllerMetrics;
}

/** The running informers. */
export interface Informers {
  /** The cached objects of one kind (every watched namespace). */
  list(ref: CollectionRef): KubernetesObject[];
  listServed(ref: CollectionRef): (HugrDataSource | HugrObjectStorage)[];
  /** Reads from every informer's cache (kube/cache.ts). */
  cache: CachedReader;
  /** Resolves once every informer has listed. */
  synced: Promise<void>;
  isSynced(): boolean;
  /** The names of the informers whose watch is failing. */
  unhealthy(): string[];
  stop(): Promise<void>;
}

interface NamedInformer extends CacheSource {
  name: string;
  informer: Informer<KubernetesObject>;
}

interface WatchTarget {
  ref: CollectionRef;
  labelSelector?: string;
  /** Tells two watches of one kind apart in logs and metrics. */
  role?: string;
}

function watch(
  options: InformersOptions,
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

/**
 * Starts the informers, and routes their events to the controllers' work queues: the three kinds
 * (each term lists them; spec and metadata changes wake their controller), every kind a HugrCluster
 * owns (drift is corrected at once), and Secrets that carry the reload label (whoever references
 * them is reconciled again).
 */
export function startInformers(options: InformersOptions): Informers {
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
      namesakes(obj as HugrDataSource, dataSourcesIn(list, obj.metadata?.namespace ?? "")).map(keyOf),
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
  let synced = false;
  return {
    list,
    listServed,
    cache: createCachedReader(all),
    synced: Promise.all(all.map((i) => i.informer.synced())).then(() => {
      synced = true;
    }),
    isSynced: () => synced,
    unhealthy: () => all.filter((i) => !i.informer.healthy()).map((i) => i.name),
    stop: async () => {
      await Promise.all(all.map((i) => i.informer.stop()));
    },
  };
}
