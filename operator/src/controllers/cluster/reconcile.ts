import { randomBytes } from "node:crypto";
import type { KubernetesObject, V1Deployment, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "@hugr/common";
import { HUGR_CLUSTER_RESOURCE, type HugrCluster } from "../../api/v1alpha1/index.js";
import {
  applyObject,
  createIfAbsent,
  errorSummary,
  isNotFound,
  rfc3339,
  type CachedReader,
  type KubeClients,
  type ReconcileOutcome,
} from "../../kube/index.js";
import type { ClusterRuntimes } from "../../management-api/index.js";
import {
  kindOf,
  patchStatusAndWait,
  readSecret as readSecretFrom,
  setFinalizer,
} from "../common/resources.js";
import type { ClusterReason } from "./conditions.js";
import { createClusterDeletion } from "./delete.js";
import { clusterSecretRef, referencedSecretNames, resolveCluster, type SecretData } from "./inputs.js";
import {
  buildClusterSecret,
  buildDeployment,
  buildHeadlessService,
  buildHpa,
  buildPdb,
  buildService,
  buildWorkerConfigMap,
  buildWorkerSecret,
  CONFIG_CHECKSUM_ANNOTATION,
  configChecksum,
  generateClusterSecretValue,
  type WorkerInputs,
} from "./specs/index.js";
import { handOverReplicas } from "./scale.js";
import { buildStatus, type ClusterProblem } from "./status.js";

/**
 * How long to wait before looking again at a cluster whose Secrets are missing or hold a bad auth
 * file (unlabelled Secrets are not watched).
 */
const MISSING_SECRET_RETRY_MS = 15_000;

/** Records an Event about a HugrCluster (kube/events.ts); never throws. */
export type ClusterEventRecorder = (
  cluster: HugrCluster,
  event: { type: "Normal" | "Warning"; reason: ClusterReason; message: string; action: string },
) => void;

export interface ClusterReconcilerOptions {
  clients: Pick<KubeClients, "objects" | "core" | "customObjects">;
  /**
   * The informers' caches: the HugrClusters, the objects they own (label-selected) and the Secrets
   * that carry the reload label. Reads come from them; writes go to the API.
   */
  cache: CachedReader;
  runtimes: ClusterRuntimes;
  /** The operator's management API as workers reach it (OPERATOR_MANAGEMENT_URL). */
  managementUrl: string;
  recordEvent: ClusterEventRecorder;
  logger: Logger;
  /** Randomness of generated cluster secrets; default crypto.randomBytes. */
  random?: (bytes: number) => Buffer;
}

/**
 * The HugrCluster reconciler: one entry point, given a "namespace/name" key, that re-reads the world
 * and converges it, whatever event woke it. Observe (the cluster, its Secrets), decide (the pure
 * builders in specs/), act (server-side apply of every child, the cluster's coordination, the
 * status). Idempotent: a second run with nothing changed writes nothing.
 */
export function createClusterReconciler(
  options: ClusterReconcilerOptions,
): (key: string) => Promise<ReconcileOutcome | void> {
  const { clients, cache, runtimes, logger } = options;
  const random = options.random ?? randomBytes;
  const deleteCluster = createClusterDeletion(options);

  const readCluster = (namespace: string, name: string): HugrCluster | undefined =>
    cache.get<HugrCluster>(kindOf(HUGR_CLUSTER_RESOURCE), { namespace, name });

  const readSecret = (namespace: string, name: string): Promise<V1Secret | undefined> =>
    readSecretFrom(cache, clients.core, { namespace, name });

  /** Creates the cluster secret when the spec names none and it does not exist yet; never rotates it. */
  async function ensureGeneratedSecret(cluster: HugrCluster): Promise<void> {
    if (cluster.spec.clusterSecretRef) return;
    const secret = buildClusterSecret(cluster, generateClusterSecretValue(random));
    const namespace = secret.metadata?.namespace ?? "";
    if (await readSecret(namespace, secret.metadata?.name ?? "")) return;
    await createIfAbsent(clients.objects, secret);
    options.recordEvent(cluster, {
      type: "Normal",
      reason: "ClusterSecretGenerated",
      message: `generated the cluster secret in Secret '${clusterSecretRef(cluster).name}'`,
      action: "CreateSecret",
    });
  }

  async function observeSecrets(cluster: HugrCluster): Promise<SecretData> {
    const namespace = cluster.metadata.namespace ?? "";
    const names = referencedSecretNames(cluster);
    const read = await Promise.all(names.map((name) => readSecret(namespace, name)));
    return new Map(names.map((name, i) => [name, decodeSecret(read[i])]));
  }

  /** Applies every child object; resolves with the Deployment as the apiserver stored it. */
  async function applyChildren(cluster: HugrCluster, inputs: WorkerInputs): Promise<V1Deployment> {
    const configMap = buildWorkerConfigMap(cluster, inputs);
    const secret = buildWorkerSecret(cluster, inputs);
    const checksum = configChecksum(configMap, secret);
    await applyObject(clients.objects, configMap);
    await applyObject(clients.objects, secret);
    await applyObject(clients.objects, buildService(cluster));
    await applyObject(clients.objects, buildHeadlessService(cluster));
    const deployment = await applyDeployment(cluster, checksum);
    await applyOrRemove(cluster, buildHpa(cluster), {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      plural: "horizontalpodautoscalers",
    });
    await applyOrRemove(cluster, buildPdb(cluster), {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      plural: "poddisruptionbudgets",
    });
    return deployment;
  }

  async function applyDeployment(cluster: HugrCluster, checksum: string): Promise<V1Deployment> {
    const current = readDeployment(cluster);
    const previous = current?.spec?.template.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
    if (previous !== undefined && previous !== checksum) {
      options.recordEvent(cluster, {
        type: "Normal",
        reason: "ConfigurationChanged",
        message: "the worker configuration changed: rolling the workers",
        action: "RollOut",
      });
    }
    const desired = buildDeployment(cluster, checksum);
    // Who owns `replicas` is in managedFields, which the caches drop (kube/informer.ts): read from the API.
    if (desired.spec?.replicas === undefined)
      await handOverReplicas(clients.objects, await readLiveDeployment(cluster));
    return applyObject(clients.objects, desired);
  }

  /**
   * Applies `desired`, or deletes the object of that kind this cluster controls when it is undefined.
   * Only a labelled object can be one the operator rendered, so the label-selected cache is where to
   * look; one it holds but that is gone already is a 404, nothing to do.
   */
  async function applyOrRemove(
    cluster: HugrCluster,
    desired: KubernetesObject | undefined,
    type: { apiVersion: string; kind: string; plural: string },
  ): Promise<void> {
    if (desired) {
      await applyObject(clients.objects, desired);
      return;
    }
    const metadata = { name: cluster.metadata.name ?? "", namespace: cluster.metadata.namespace ?? "" };
    const existing = cache.find(type, metadata);
    const controlled = existing?.metadata?.ownerReferences?.some(
      (o) => o.controller && o.uid === cluster.metadata.uid,
    );
    if (!controlled) return;
    try {
      await clients.objects.delete({ apiVersion: type.apiVersion, kind: type.kind, metadata });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async function writeStatus(
    cluster: HugrCluster,
    observed: { deployment: V1Deployment | undefined; problem: ClusterProblem | undefined },
  ): Promise<void> {
    const key = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    const nodes = runtimes.get(key)?.service.nodes() ?? [];
    const status = buildStatus({
      cluster,
      ...observed,
      nodes,
      now: rfc3339(new Date()),
    });
    await patchStatusAndWait(
      { api: clients.customObjects, cache, type: HUGR_CLUSTER_RESOURCE, logger: options.logger },
      cluster,
      status,
    );
    announceReadiness(
      cluster,
      status.conditions?.find((c) => c.type === "Ready"),
    );
  }

  function announceReadiness(
    cluster: HugrCluster,
    ready: { status: string; reason: string; message: string } | undefined,
  ): void {
    const before = cluster.status?.conditions?.find((c) => c.type === "Ready");
    if (!ready || before?.status === ready.status) return;
    if (ready.status === "True" || before !== undefined) {
      options.recordEvent(cluster, {
        type: ready.status === "True" ? "Normal" : "Warning",
        reason: ready.reason as ClusterReason,
        message: ready.message,
        action: "Reconcile",
      });
    }
  }

  return async function reconcileCluster(key) {
    const [namespace = "", name = ""] = key.split("/");
    const cluster = readCluster(namespace, name);
    if (!cluster) {
      await runtimes.remove(key);
      return;
    }
    if (cluster.metadata.deletionTimestamp) {
      await deleteCluster(cluster);
      return;
    }
    // The cluster's rows in its core database are external state (delete.ts).
    await setFinalizer(clients.objects, HUGR_CLUSTER_RESOURCE, cluster, true);
    await ensureGeneratedSecret(cluster);
    const resolution = resolveCluster(cluster, await observeSecrets(cluster), options.managementUrl);
    if (!resolution.ok) {
      const problem = { reason: resolution.reason, message: resolution.message };
      options.recordEvent(cluster, {
        type: "Warning",
        reason: problem.reason,
        message: problem.message,
        action: "Reconcile",
      });
      await writeStatus(cluster, { deployment: readDeployment(cluster), problem });
      return { requeueAfterMs: MISSING_SECRET_RETRY_MS };
    }
    const deployment = await applyChildren(cluster, resolution.inputs);
    const failure = await runtimes.ensure(key, resolution.settings).then(
      () => undefined,
      (error: unknown) => error,
    );
    const problem: ClusterProblem | undefined = failure
      ? {
          reason: "CoreDatabaseUnreachable",
          message: `the cluster's core database: ${errorSummary(failure).error}`,
        }
      : undefined;
    await writeStatus(cluster, { deployment, problem });
    if (failure) {
      options.recordEvent(cluster, {
        type: "Warning",
        reason: "CoreDatabaseUnreachable",
        message: problem?.message ?? "",
        action: "Reconcile",
      });
      throw new Error(`while starting the coordination of cluster '${key}'`, { cause: failure });
    }
    logger.debug({ cluster: key }, "reconciled");
  };

  function readDeployment(cluster: HugrCluster): V1Deployment | undefined {
    return cache.find<V1Deployment>(DEPLOYMENTS, deploymentKey(cluster));
  }

  async function readLiveDeployment(cluster: HugrCluster): Promise<V1Deployment | undefined> {
    try {
      return await clients.objects.read<V1Deployment>({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: deploymentKey(cluster),
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

const DEPLOYMENTS = { apiVersion: "apps/v1", plural: "deployments" };

/** The worker Deployment is named after its cluster. */
const deploymentKey = (cluster: HugrCluster): { namespace: string; name: string } => ({
  namespace: cluster.metadata.namespace ?? "",
  name: cluster.metadata.name ?? "",
});

/** The decoded data of a Secret; undefined when there is no Secret. */
function decodeSecret(secret: V1Secret | undefined): Record<string, string> | undefined {
  if (!secret) return undefined;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    data[key] = Buffer.from(value, "base64").toString("utf8");
  return data;
}
