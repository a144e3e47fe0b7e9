import type { KubernetesObject } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createCachedReader, type CacheSource } from "./cache.js";
import type { CollectionRef, Informer } from "./informer.js";

/**
 * An informer's cache in memory, with the subscribe contract of informer.ts: listeners of a key hear
 * its changes, and every listener hears a relist. (The real one is tested on a kube-apiserver in
 * operator/test/kube/informer.test.ts.)
 */
function memoryInformer(): Informer<KubernetesObject> & {
  put(obj: KubernetesObject): void;
  remove(namespace: string, name: string): void;
  relist(): void;
  listening(): number;
} {
  const objects = new Map<string, KubernetesObject>();
  const listeners = new Map<string, Set<() => void>>();
  const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ""}/${name}`;
  const tell = (key: string): void => [...(listeners.get(key) ?? [])].forEach((l) => l());
  return {
    synced: () => Promise.resolve(),
    healthy: () => true,
    list: () => [...objects.values()],
    get: (namespace, name) => objects.get(keyOf(namespace, name)),
    subscribe(namespace, name, listener) {
      const key = keyOf(namespace, name);
      const set = listeners.get(key) ?? new Set();
      listeners.set(key, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    stop: () => Promise.resolve(),
    put(obj) {
      const key = keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "");
      objects.set(key, obj);
      tell(key);
    },
    remove(namespace, name) {
      objects.delete(keyOf(namespace, name));
      tell(keyOf(namespace, name));
    },
    relist: () => [...listeners.keys()].forEach(tell),
    listening: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

const CLUSTERS: CollectionRef = { apiVersion: "hugr.io/v1alpha1", plural: "hugrclusters" };
const SECRETS: CollectionRef = { apiVersion: "v1", plural: "secrets" };

const object = (namespace: string, name: string, extra: Record<string, unknown> = {}): KubernetesObject => ({
  metadata: { namespace, name },
  ...extra,
});

/** Two namespaces of HugrClusters, each its own informer, and Secrets by two label selectors. */
function setup() {
  const informers = {
    clustersA: memoryInformer(),
    clustersB: memoryInformer(),
    ownedSecrets: memoryInformer(),
    reloadSecrets: memoryInformer(),
  };
  const sources: CacheSource[] = [
    { ref: { ...CLUSTERS, namespace: "a" }, informer: informers.clustersA },
    { ref: { ...CLUSTERS, namespace: "b" }, informer: informers.clustersB },
    { ref: SECRETS, labelSelector: "managed=yes", informer: informers.ownedSecrets },
    { ref: SECRETS, labelSelector: "reload=true", informer: informers.reloadSecrets },
  ];
  return { ...informers, reader: createCachedReader(sources) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("get", () => {
  it("answers from the informer of the object's namespace, undefined when absent", () => {
    const { clustersA, clustersB, reader } = setup();
    clustersA.put(object("a", "demo", { spec: { replicas: 1 } }));
    clustersB.put(object("b", "demo", { spec: { replicas: 2 } }));
    expect(reader.get(CLUSTERS, { namespace: "a", name: "demo" })).toMatchObject({ spec: { replicas: 1 } });
    expect(reader.get(CLUSTERS, { namespace: "b", name: "demo" })).toMatchObject({ spec: { replicas: 2 } });
    expect(reader.get(CLUSTERS, { namespace: "a", name: "other" })).toBeUndefined();
  });

  it("hands out a copy: editing it changes neither the cache nor the next read", () => {
    const { clustersA, reader } = setup();
    clustersA.put(object("a", "demo", { spec: { replicas: 1 } }));
    const read = reader.get<{ spec: { replicas: number } }>(CLUSTERS, { namespace: "a", name: "demo" });
    read!.spec.replicas = 9;
    expect(clustersA.get("a", "demo")).toMatchObject({ spec: { replicas: 1 } });
    expect(reader.get(CLUSTERS, { namespace: "a", name: "demo" })).toMatchObject({ spec: { replicas: 1 } });
  });

  it("refuses a namespace no informer lists, and a kind only cached by label", () => {
    const { reader } = setup();
    expect(() => reader.get(CLUSTERS, { namespace: "c", name: "demo" })).toThrow(
      "no informer lists hugrclusters (hugr.io/v1alpha1) in namespace 'c'",
    );
    expect(() => reader.get(SECRETS, { namespace: "a", name: "s" })).toThrow(
      /only label-selected ones, whose absence proves nothing/,
    );
  });
});

describe("find", () => {
  it("looks in every cache of the kind, label-selected ones included", () => {
    const { ownedSecrets, reloadSecrets, reader } = setup();
    ownedSecrets.put(object("a", "rendered", { data: { k: "MQ==" } }));
    reloadSecrets.put(object("a", "labelled", { data: { k: "Mg==" } }));
    expect(reader.find(SECRETS, { namespace: "a", name: "rendered" })).toMatchObject({ data: { k: "MQ==" } });
    expect(reader.find(SECRETS, { namespace: "a", name: "labelled" })).toMatchObject({ data: { k: "Mg==" } });
    expect(reader.find(SECRETS, { namespace: "a", name: "unlabelled" })).toBeUndefined();
  });

  it("refuses a kind no informer lists", () => {
    const { reader } = setup();
    expect(() => reader.find({ apiVersion: "v1", plural: "pods" }, { namespace: "a", name: "p" })).toThrow(
      "no informer lists pods (v1) in namespace 'a'",
    );
  });
});

describe("waitFor", () => {
  const demo = { namespace: "a", name: "demo" };
  const observed = (generation: number) => (o: KubernetesObject | undefined) =>
    (o as { status?: { observedGeneration?: number } } | undefined)?.status?.observedGeneration ===
    generation;

  it("resolves at once when the cache already holds the state", async () => {
    const { clustersA, reader } = setup();
    clustersA.put(object("a", "demo", { status: { observedGeneration: 2 } }));
    await expect(reader.waitFor(CLUSTERS, demo, observed(2), 60_000)).resolves.toMatchObject({
      met: true,
      object: { status: { observedGeneration: 2 } },
    });
    expect(clustersA.listening()).toBe(0);
  });

  it("resolves on the change that brings the state, not before, and stops listening", async () => {
    const { clustersA, reader } = setup();
    clustersA.put(object("a", "demo", { status: { observedGeneration: 1 } }));
    let outcome: unknown;
    const waiting = reader.waitFor(CLUSTERS, demo, observed(2), 60_000).then((o) => (outcome = o));
    clustersA.put(object("a", "other", { status: { observedGeneration: 2 } }));
    clustersA.put(object("a", "demo", { status: { observedGeneration: 1 }, spec: { x: 1 } }));
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    expect(clustersA.listening()).toBe(1);
    clustersA.put(object("a", "demo", { status: { observedGeneration: 2 } }));
    await waiting;
    expect(outcome).toMatchObject({ met: true, object: { status: { observedGeneration: 2 } } });
    expect(clustersA.listening()).toBe(0);
  });

  it("waits for a deletion, and looks again after a relist", async () => {
    const { clustersA, reader } = setup();
    clustersA.put(object("a", "demo"));
    const gone = reader.waitFor(CLUSTERS, demo, (o) => o === undefined, 60_000);
    clustersA.remove("a", "demo");
    await expect(gone).resolves.toEqual({ met: true, object: undefined });

    // An object that showed up meanwhile, its event lost to a restart: the relist tells.
    const appeared = reader.waitFor(CLUSTERS, demo, (o) => o !== undefined, 60_000);
    clustersA.put(object("a", "demo"));
    await expect(appeared).resolves.toMatchObject({ met: true });
    const later = reader.waitFor(CLUSTERS, demo, observed(3), 60_000);
    (clustersA.get("a", "demo") as { status?: unknown }).status = { observedGeneration: 3 };
    clustersA.relist();
    await expect(later).resolves.toMatchObject({ met: true });
  });

  it("ends unmet when the timeout passes first, and stops listening", async () => {
    vi.useFakeTimers();
    const { clustersA, reader } = setup();
    const waiting = reader.waitFor(CLUSTERS, demo, observed(2), 5_000);
    expect(clustersA.listening()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(waiting).resolves.toEqual({ met: false });
    expect(clustersA.listening()).toBe(0);
  });
});
