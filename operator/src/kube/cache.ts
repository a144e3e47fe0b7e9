/**
 * Reads from the informers' caches, as controller-runtime's cached client.Reader does: reconcilers
 * read the objects they watch from memory, and write to the API. A read may be a little behind the
 * apiserver; that is safe because reconciles are level-triggered: the change it has not seen yet
 * arrives as a watch event, and the event wakes the controller again once the cache holds it. A wait
 * for an object to reach a state (the mirror's wait for a reconcile) listens to the same watch.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { CollectionRef, Informer } from "./informer.js";

/** One informer and what it lists. */
export interface CacheSource {
  /** The collection; `namespace` undefined: every namespace. */
  ref: CollectionRef;
  /** Set when the informer lists only matching objects: its cache is partial. */
  labelSelector?: string;
  informer: Informer<KubernetesObject>;
}

/** A kind, as its collections are named: `{ apiVersion: "apps/v1", plural: "deployments" }`. */
export type KindRef = Pick<CollectionRef, "apiVersion" | "plural">;

/** A namespaced object's name. */
export interface ObjectKey {
  namespace: string;
  name: string;
}

/** What {@link CachedReader.waitFor} ends with: the object as the cache holds it, or a timeout. */
export type WaitOutcome<T> = { met: true; object: T | undefined } | { met: false };

/** Reads of watched kinds from the informers' caches; see the module comment. */
export interface CachedReader {
  /**
   * The object from the cache that holds its kind in full (an informer without a label selector)
   * for its namespace: undefined means it does not exist, as of the cache. Throws when no informer
   * lists the kind in full there (a wiring mistake, not a missing object).
   */
  get<T = KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined;
  /**
   * The object from any cache of its kind, label-selected ones included: undefined means it is not
   * among the objects the operator watches. For objects the operator labels itself, that is "not
   * found"; for others it may exist unlabelled, and a caller that must know reads the API. Throws
   * when no informer lists the kind in that namespace.
   */
  find<T = KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined;
  /**
   * Resolves once `until` accepts the object as the full cache of its kind holds it (undefined:
   * absent), looking now and again on every change of it the watch delivers (and after every
   * relist), without polling; `{ met: false }` when `timeoutMs` passes first. `until` sees the cached
   * object itself and must not change it.
   */
  waitFor<T = KubernetesObject>(
    kind: KindRef,
    key: ObjectKey,
    until: (object: T | undefined) => boolean,
    timeoutMs: number,
  ): Promise<WaitOutcome<T>>;
}

/**
 * A reader over `sources`. Objects are deep copies (controller-runtime's cache copies too): a caller
 * that edits what it read cannot change the cache, nor what the next reconcile sees.
 */
export function createCachedReader(sources: readonly CacheSource[]): CachedReader {
  const covering = (kind: KindRef, namespace: string): CacheSource[] => {
    const found = sources.filter(
      ({ ref }) =>
        ref.apiVersion === kind.apiVersion &&
        ref.plural === kind.plural &&
        (ref.namespace === undefined || ref.namespace === namespace),
    );
    if (found.length === 0) {
      throw new Error(`no informer lists ${kind.plural} (${kind.apiVersion}) in namespace '${namespace}'`);
    }
    return found;
  };
  const complete = (kind: KindRef, namespace: string): Informer<KubernetesObject> => {
    const source = covering(kind, namespace).find((s) => s.labelSelector === undefined);
    if (!source) {
      throw new Error(
        `no informer lists every ${kind.plural} (${kind.apiVersion}) in namespace '${namespace}': ` +
          "only label-selected ones, whose absence proves nothing",
      );
    }
    return source.informer;
  };
  return {
    get<T = KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined {
      return copy(complete(kind, key.namespace).get(key.namespace, key.name) as T | undefined);
    },
    find<T = KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined {
      // Full caches first: they hold every object of the kind, and are as fresh as the others.
      const sorted = [...covering(kind, key.namespace)].sort(
        (a, b) => Number(a.labelSelector !== undefined) - Number(b.labelSelector !== undefined),
      );
      for (const { informer } of sorted) {
        const object = informer.get(key.namespace, key.name);
        if (object) return copy(object as T);
      }
      return undefined;
    },
    waitFor<T = KubernetesObject>(
      kind: KindRef,
      key: ObjectKey,
      until: (object: T | undefined) => boolean,
      timeoutMs: number,
    ): Promise<WaitOutcome<T>> {
      return waitOn(
        complete(kind, key.namespace) as unknown as Informer<T & KubernetesObject>,
        key,
        until,
        timeoutMs,
      );
    },
  };
}

function waitOn<T extends KubernetesObject>(
  informer: Informer<T>,
  key: ObjectKey,
  until: (object: T | undefined) => boolean,
  timeoutMs: number,
): Promise<WaitOutcome<T>> {
  return new Promise((resolve) => {
    const current = (): T | undefined => informer.get(key.namespace, key.name);
    if (until(current())) {
      resolve({ met: true, object: copy(current()) });
      return;
    }
    // Subscribed in the same turn as the look above: no change can slip in between.
    const unsubscribe = informer.subscribe(key.namespace, key.name, () => {
      if (!until(current())) return;
      finish();
      resolve({ met: true, object: copy(current()) });
    });
    const timer = setTimeout(() => {
      finish();
      resolve({ met: false });
    }, timeoutMs);
    function finish(): void {
      clearTimeout(timer);
      unsubscribe();
    }
  });
}

function copy<T>(object: T | undefined): T | undefined {
  return object === undefined ? undefined : structuredClone(object);
}
