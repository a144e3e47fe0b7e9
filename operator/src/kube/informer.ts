/**
 * A self-healing informer: client-node's `makeInformer` (a ListWatch), wrapped so that it keeps
 * working for the life of the process.
 *
 * client-node's ListWatch re-watches from the last resourceVersion after its Watch's 30 s inactivity
 * timeout and relists after a 410, but on any other error (apiserver restarting, a 403, a failed list)
 * it stops for good and only calls its ERROR callbacks; its list has no timeout; and nothing notices
 * when it silently stops delivering. This wrapper therefore:
 * - restarts it after an error, with exponential backoff (1 s doubling to 30 s, reset by a successful
 *   list);
 * - restarts it every `resyncMs` (default 10 min): a full relist, so a missed event cannot leave the
 *   cache and the controllers drifting for long;
 * - runs a watchdog that restarts it when nothing (no event, no (re)connect, no list) happened for
 *   `watchdogMs` (default 90 s). A healthy watch on a quiet resource shows life every 30 s, when the
 *   Watch's inactivity timeout makes it reconnect; that timeout also ends a watch stream that froze.
 *   The watchdog catches what it does not cover: a list or an authentication step (an exec plugin)
 *   that hangs, or a ListWatch that stopped without reporting an error;
 * - keeps its own cache, so a restart never empties what `get`/`list` answer: the cache is replaced
 *   when the new list arrives, and objects that vanished meanwhile are reported as deleted.
 *
 * Each (re)start is a new ListWatch; callbacks of a replaced one are ignored (and stop it, should its
 * watch have been connecting while it was stopped).
 */
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  makeInformer,
  type Informer as ClientInformer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Logger } from "@hugr/common";
import { errorSummary } from "./apply.js";

/**
 * How an object changed, as the wrapper's cache sees it. `resync` is an object listed again unchanged
 * (same resourceVersion) by a relist; level-triggered controllers enqueue it like any other change,
 * which is what makes the periodic relist a periodic reconcile.
 */
export type ChangeType = "add" | "update" | "delete" | "resync";

/** Why the wrapper restarted the ListWatch. */
export type RestartReason = "error" | "resync" | "watchdog";

/** Optional metrics hooks, so the informer stays free of a Prometheus dependency (see metrics.ts). */
export interface InformerMetrics {
  /** Called on every restart, with its reason. */
  onRestart?(reason: RestartReason): void;
  /** Called on every list or watch error. */
  onError?(): void;
  /** Called with `healthy()` on every watchdog tick. */
  onHealthy?(healthy: boolean): void;
}

/** Options of {@link startInformer}. Durations are in milliseconds. */
export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /**
   * The collection to list and watch: `/api/v1/namespaces/NS/configmaps` (one namespace),
   * `/apis/hugr.io/v1alpha1/hugrclusters` (all namespaces); see {@link collectionPath}.
   */
  path: string;
  /** Restricts list and watch to matching objects, e.g. `app.kubernetes.io/managed-by=hugr-operator`. */
  labelSelector?: string;
  /**
   * Told about every change; controllers map the object to a key and enqueue it. Called synchronously
   * from the watch; it must not throw (a throw is logged and dropped) and should not block.
   */
  onChange: (obj: T, change: ChangeType) => void;
  logger: Logger;
  /** The name in logs and metric labels. Default `path`. */
  resource?: string;
  /** Full relist period. Default 10 min. */
  resyncMs?: number;
  /** Restart when nothing happened for this long. Default 90 s (the Watch times out after 30 s). */
  watchdogMs?: number;
  /** `healthy()` turns false after failing or silence for this long. Default 180 s. */
  unhealthyAfterMs?: number;
  /** First restart delay after an error; doubles per consecutive error. Default 1 s. */
  initialBackoffMs?: number;
  /** Upper bound of the restart delay. Default 30 s. */
  maxBackoffMs?: number;
  /** Upper bound of one list request. Default 60 s. */
  listTimeoutMs?: number;
  metrics?: InformerMetrics;
  /** Clock for health and the watchdog. Default `Date.now`. */
  now?: () => number;
}

/** A running informer; see {@link startInformer}. */
export interface Informer<T extends KubernetesObject> {
  /** Resolves once the first list has been received (the cache is complete); rejects if stopped first. */
  synced(): Promise<void>;
  /**
   * False once the informer has been failing (errors and no successful list since) or silent for
   * longer than `unhealthyAfterMs`, and after stop(). The liveness probe uses it: a process whose
   * informers cannot recover is better restarted.
   */
  healthy(): boolean;
  /** The cached objects, of one namespace or all. */
  list(namespace?: string): T[];
  /** A cached object; `namespace` is "" (or undefined) for cluster-scoped kinds. */
  get(namespace: string | undefined, name: string): T | undefined;
  /**
   * Calls `listener` after every change of the object `namespace/name` the cache takes in (the
   * `onChange` ones), and after every full list, whatever it brought: a wait for an object's state
   * (cache.ts) looks at the cache again then, and needs no polling. Returns the unsubscribe function.
   * A listener must not throw (a throw is logged and dropped).
   */
  subscribe(namespace: string | undefined, name: string, listener: () => void): () => void;
  /** Stops watching and every timer; the cache stays readable. */
  stop(): Promise<void>;
}

const DEFAULTS = {
  resyncMs: 10 * 60_000,
  watchdogMs: 90_000,
  unhealthyAfterMs: 180_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  listTimeoutMs: 60_000,
};

/** Where a collection of a kind lives in the API, for {@link collectionPath}. */
export interface CollectionRef {
  /** `v1` for the core group, else `group/version`. */
  apiVersion: string;
  /** Lower-case plural resource name, e.g. `configmaps`. */
  plural: string;
  /** One namespace; omitted: all namespaces (or a cluster-scoped kind). */
  namespace?: string;
}

/** The list/watch path of a collection: `/api/v1/namespaces/hugr/configmaps`, `/apis/g/v/plural`. */
export function collectionPath(ref: CollectionRef): string {
  const root = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : "";
  return `${root}${ns}/${ref.plural}`;
}

/** The restart delay after the current one: doubled, capped. */
export function nextBackoff(currentMs: number, maxMs: number): number {
  return Math.min(currentMs * 2, maxMs);
}

/** What {@link informerHealthy} decides on. */
export interface HealthInput {
  now: number;
  stopped: boolean;
  /** Last sign of life: a list, an event, a (re)connect. */
  lastActivityAt: number;
  /** First error since the last successful list or event; undefined while things work. */
  failingSince: number | undefined;
  unhealthyAfterMs: number;
}

/** Healthy unless stopped, failing for longer than the threshold, or silent for longer than it. */
export function informerHealthy(input: HealthInput): boolean {
  if (input.stopped) return false;
  if (input.failingSince !== undefined && input.now - input.failingSince > input.unhealthyAfterMs)
    return false;
  return input.now - input.lastActivityAt <= input.unhealthyAfterMs;
}

/** How a watched object changed relative to the cached one. */
export function classifyChange(cached: KubernetesObject | undefined, obj: KubernetesObject): ChangeType {
  if (cached === undefined) return "add";
  const version = obj.metadata?.resourceVersion;
  return version !== undefined && version === cached.metadata?.resourceVersion ? "resync" : "update";
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(obj: KubernetesObject): string {
  return cacheKey(obj.metadata?.namespace, obj.metadata?.name ?? "");
}

function cacheKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Settings with defaults applied. */
type Settings<T extends KubernetesObject> = InformerOptions<T> & typeof DEFAULTS & { resource: string };

/** The mutable state of one informer. */
interface State<T extends KubernetesObject> {
  cache: Map<string, T>;
  /** The listeners of {@link Informer.subscribe}, by cache key. */
  listeners: Map<string, Set<() => void>>;
  /** Incremented by every (re)start; callbacks of older ListWatches compare and drop out. */
  generation: number;
  current: ClientInformer<T> | undefined;
  stopped: boolean;
  synced: boolean;
  lastActivityAt: number;
  /** When the current ListWatch was launched; the watchdog gives each launch a full period. */
  launchedAt: number;
  failingSince: number | undefined;
  backoffMs: number;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  resyncTimer: ReturnType<typeof setTimeout> | undefined;
  watchdogTimer: ReturnType<typeof setInterval> | undefined;
  resolveSynced: () => void;
  rejectSynced: (error: Error) => void;
}

/**
 * Starts listing and watching `options.path` and returns the informer. See the module comment for
 * the restart, relist and watchdog rules.
 */
export function startInformer<T extends KubernetesObject>(options: InformerOptions<T>): Informer<T> {
  const settings: Settings<T> = {
    ...DEFAULTS,
    ...definedOnly(options),
    resource: options.resource ?? options.path,
  } as Settings<T>;
  const now = settings.now ?? Date.now;
  const logger = settings.logger.child({ component: "informer", resource: settings.resource });
  let resolveSynced = (): void => undefined;
  let rejectSynced = (_error: Error): void => undefined;
  const syncedPromise = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  syncedPromise.catch(() => undefined); // rejected only when stopped first; callers see it if they ask
  const state: State<T> = {
    cache: new Map(),
    listeners: new Map(),
    generation: 0,
    current: undefined,
    stopped: false,
    synced: false,
    lastActivityAt: now(),
    launchedAt: now(),
    failingSince: undefined,
    backoffMs: settings.initialBackoffMs,
    restartTimer: undefined,
    resyncTimer: undefined,
    watchdogTimer: undefined,
    resolveSynced,
    rejectSynced,
  };
  const ctx: Context<T> = { settings, state, now, logger };
  launch(ctx);
  const tickMs = Math.max(10, Math.min(settings.watchdogMs / 3, 5_000));
  state.watchdogTimer = setInterval(() => watchdogTick(ctx), tickMs);
  return {
    synced: () => syncedPromise,
    healthy: () => isHealthy(ctx),
    list: (namespace) => listCached(state.cache, namespace),
    get: (namespace, name) => state.cache.get(cacheKey(namespace, name)),
    subscribe: (namespace, name, listener) => subscribe(state, cacheKey(namespace, name), listener),
    stop: () => stopInformer(ctx),
  };
}

interface Context<T extends KubernetesObject> {
  settings: Settings<T>;
  state: State<T>;
  now: () => number;
  logger: Logger;
}

/** Creates and starts a new ListWatch as the current one. */
function launch<T extends KubernetesObject>(ctx: Context<T>): void {
  const { settings, state } = ctx;
  const generation = ++state.generation;
  state.launchedAt = ctx.now();
  const list = (): Promise<KubernetesListObject<T>> => listAndReplace(ctx, generation);
  const informer = makeInformer<T>(settings.kubeConfig, settings.path, list, settings.labelSelector);
  const live = (): boolean => generation === state.generation && !state.stopped;
  const guard = (handler: () => void): void => {
    if (live()) handler();
    else void informer.stop(); // a replaced ListWatch whose watch connected after it was stopped
  };
  informer.on("add", (obj) => guard(() => upsert(ctx, obj)));
  informer.on("update", (obj) => guard(() => upsert(ctx, obj)));
  informer.on("delete", (obj) => guard(() => remove(ctx, obj)));
  informer.on("connect", () => guard(() => touch(ctx)));
  informer.on("error", (error: unknown) => guard(() => onError(ctx, error)));
  state.current = informer;
  informer.start().catch((error: unknown) => guard(() => onError(ctx, error)));
  scheduleResync(ctx);
}

/** The ListWatch's list function: lists, then reconciles the cache with the result. */
async function listAndReplace<T extends KubernetesObject>(
  ctx: Context<T>,
  generation: number,
): Promise<KubernetesListObject<T>> {
  const { settings, state } = ctx;
  const list = await listObjects<T>(settings);
  // A replaced ListWatch must not go on to watch: failing here ends it (its ERROR is ignored).
  if (generation !== state.generation || state.stopped) throw new Error("informer restarted meanwhile");
  replaceCache(ctx, list.items);
  notifyAll(ctx);
  state.failingSince = undefined;
  state.backoffMs = settings.initialBackoffMs;
  touch(ctx);
  if (!state.synced) {
    state.synced = true;
    state.resolveSynced();
    ctx.logger.info({ objects: list.items.length }, "informer synced");
  }
  return list;
}

/**
 * One GET of the collection, bounded by `listTimeoutMs` (client-node's generated list calls would need
 * apiVersion and kind rather than the path, and take no timeout). Non-2xx answers are ApiExceptions,
 * as the generated clients throw them.
 */
async function listObjects<T extends KubernetesObject>(
  settings: Settings<T>,
): Promise<KubernetesListObject<T>> {
  const cluster = settings.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("the KubeConfig has no current cluster");
  const url = new URL(cluster.server.replace(/\/+$/, "") + settings.path);
  if (settings.labelSelector !== undefined) url.searchParams.set("labelSelector", settings.labelSelector);
  const request = new RequestContext(url.toString(), HttpMethod.GET);
  request.setHeaderParam("Accept", "application/json");
  await settings.kubeConfig.applySecurityAuthentication(request);
  request.setSignal(AbortSignal.timeout(settings.listTimeoutMs));
  // client-node gives each request a new connection pool (an undici Agent): closed once the body
  // is read, or its keep-alive TLS connection stays open for good, one more per (re)list.
  const dispatcher = request.getDispatcher();
  const { response, body } = await new IsomorphicFetchHttpLibrary()
    .send(request)
    .toPromise()
    .then(async (response) => ({ response, body: await response.body.text() }))
    .finally(() => void dispatcher?.close().catch(() => undefined));
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw new ApiException(response.httpStatusCode, `list ${settings.path}`, body, response.headers);
  }
  return JSON.parse(body) as KubernetesListObject<T>;
}

/**
 * Makes the cache what a list returned: objects missing from it are deleted, the others added or
 * updated, each reported; unchanged ones as `resync`. Done here rather than in the ListWatch's callbacks
 * so that the cache is complete when synced() resolves.
 */
function replaceCache<T extends KubernetesObject>(ctx: Context<T>, items: T[]): void {
  const { cache } = ctx.state;
  items.forEach(stripManagedFields);
  const listed = new Map(items.map((obj) => [objectKey(obj), obj]));
  for (const [key, obj] of cache) {
    if (listed.has(key)) continue;
    cache.delete(key);
    emit(ctx, obj, "delete");
  }
  for (const [key, obj] of listed) {
    const change = classifyChange(cache.get(key), obj);
    cache.set(key, obj);
    emit(ctx, obj, change);
  }
}

/** A watched add or update. The ListWatch also reports each listed object, which the cache has already. */
function upsert<T extends KubernetesObject>(ctx: Context<T>, obj: T): void {
  stripManagedFields(obj);
  const key = objectKey(obj);
  const change = classifyChange(ctx.state.cache.get(key), obj);
  ctx.state.failingSince = undefined;
  touch(ctx);
  if (change === "resync") return;
  ctx.state.cache.set(key, obj);
  emit(ctx, obj, change);
}

/**
 * Drops metadata.managedFields from a cached object, in place (client-node's ListWatch holds the same
 * instance): often the larger part of an object, and nothing reads it from a cache (readers of field
 * ownership GET the object). controller-runtime's caches strip it the same way.
 */
function stripManagedFields(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
}

function remove<T extends KubernetesObject>(ctx: Context<T>, obj: T): void {
  ctx.state.failingSince = undefined;
  touch(ctx);
  if (ctx.state.cache.delete(objectKey(obj))) emit(ctx, obj, "delete");
}

function emit<T extends KubernetesObject>(ctx: Context<T>, obj: T, change: ChangeType): void {
  try {
    ctx.settings.onChange(obj, change);
  } catch (error) {
    ctx.logger.error({ ...errorSummary(error), name: obj.metadata?.name, change }, "onChange threw");
  }
  notify(ctx, ctx.state.listeners.get(objectKey(obj)));
}

function subscribe<T extends KubernetesObject>(
  state: State<T>,
  key: string,
  listener: () => void,
): () => void {
  const listeners = state.listeners.get(key) ?? new Set();
  state.listeners.set(key, listeners);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && state.listeners.get(key) === listeners) state.listeners.delete(key);
  };
}

/** After a full list: every waiting reader looks again, an object that never showed up included. */
function notifyAll<T extends KubernetesObject>(ctx: Context<T>): void {
  for (const listeners of [...ctx.state.listeners.values()]) notify(ctx, listeners);
}

function notify<T extends KubernetesObject>(ctx: Context<T>, listeners: Set<() => void> | undefined): void {
  // A copy: a listener that is done unsubscribes while the set is being walked.
  for (const listener of [...(listeners ?? [])]) {
    try {
      listener();
    } catch (error) {
      ctx.logger.error(errorSummary(error), "an informer listener threw");
    }
  }
}

function touch<T extends KubernetesObject>(ctx: Context<T>): void {
  ctx.state.lastActivityAt = ctx.now();
}

/** The current ListWatch failed and stopped: count it and restart after the backoff delay. */
function onError<T extends KubernetesObject>(ctx: Context<T>, error: unknown): void {
  const { state, settings } = ctx;
  settings.metrics?.onError?.();
  state.failingSince ??= ctx.now();
  if (state.restartTimer !== undefined) return;
  const delayMs = state.backoffMs;
  state.backoffMs = nextBackoff(state.backoffMs, settings.maxBackoffMs);
  ctx.logger.warn({ ...errorSummary(error), retryInMs: delayMs }, "informer failed; restarting");
  state.restartTimer = setTimeout(() => restart(ctx, "error"), delayMs);
}

/** Replaces the current ListWatch with a new one (a full relist). */
function restart<T extends KubernetesObject>(ctx: Context<T>, reason: RestartReason): void {
  const { state } = ctx;
  if (state.stopped) return;
  clearTimeout(state.restartTimer);
  state.restartTimer = undefined;
  ctx.settings.metrics?.onRestart?.(reason);
  if (reason !== "resync") ctx.logger.info({ reason }, "restarting informer");
  const old = state.current;
  launch(ctx);
  void old?.stop();
}

function scheduleResync<T extends KubernetesObject>(ctx: Context<T>): void {
  const { state, settings } = ctx;
  clearTimeout(state.resyncTimer);
  state.resyncTimer = setTimeout(() => {
    state.resyncTimer = undefined;
    // A pending error restart relists anyway.
    if (state.restartTimer === undefined) restart(ctx, "resync");
  }, settings.resyncMs);
}

/** Restarts a silent informer and reports health. */
function watchdogTick<T extends KubernetesObject>(ctx: Context<T>): void {
  const { state, settings } = ctx;
  const since = Math.max(state.lastActivityAt, state.launchedAt);
  if (!state.stopped && state.restartTimer === undefined && ctx.now() - since > settings.watchdogMs) {
    ctx.logger.warn({ silentMs: ctx.now() - since }, "informer silent; restarting");
    restart(ctx, "watchdog");
  }
  settings.metrics?.onHealthy?.(isHealthy(ctx));
}

function isHealthy<T extends KubernetesObject>(ctx: Context<T>): boolean {
  const { state, settings } = ctx;
  return informerHealthy({
    now: ctx.now(),
    stopped: state.stopped,
    lastActivityAt: state.lastActivityAt,
    failingSince: state.failingSince,
    unhealthyAfterMs: settings.unhealthyAfterMs,
  });
}

async function stopInformer<T extends KubernetesObject>(ctx: Context<T>): Promise<void> {
  const { state } = ctx;
  if (state.stopped) return;
  state.stopped = true;
  clearTimeout(state.restartTimer);
  clearTimeout(state.resyncTimer);
  clearInterval(state.watchdogTimer);
  state.restartTimer = undefined;
  if (!state.synced)
    state.rejectSynced(new Error(`informer for ${ctx.settings.resource} stopped before it synced`));
  ctx.settings.metrics?.onHealthy?.(false);
  await state.current?.stop();
}

function listCached<T extends KubernetesObject>(cache: Map<string, T>, namespace?: string): T[] {
  const all = [...cache.values()];
  return namespace === undefined ? all : all.filter((obj) => (obj.metadata?.namespace ?? "") === namespace);
}

/** `options` without its undefined properties, so they do not override the defaults. */
function definedOnly<O extends object>(options: O): Partial<O> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<O>;
}
