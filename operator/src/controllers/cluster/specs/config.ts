import { createHash } from "node:crypto";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import type { HugrCluster, HugrClusterSpec } from "../../../api/v1alpha1/index.js";
import {
  CLUSTER_SECRET_KEY,
  clusterSecretName,
  compareStrings,
  DATA_DIR,
  WORKER_PORT,
  workerConfigName,
} from "./names.js";
import { ownedMetadata } from "./owner.js";

/**
 * The worker's environment, split by sensitivity: a ConfigMap for settings and a Secret for the
 * cluster secret, the core DB URL (it carries a password) and the L2 cache password. Both feed the
 * container through envFrom and are hashed into CONFIG_CHECKSUM_ANNOTATION, so a change rolls the
 * pods. Authentication settings are deliberately absent: the operator hands them to each worker when
 * it registers (docs/cluster.md), so they change without a rollout.
 */

/** Everything the builders need besides the HugrCluster itself, resolved by the reconciler. */
export interface WorkerInputs {
  /** Base URL of this cluster's management API on the operator, e.g. http://hugr-operator.hugr-system.svc:14000/clusters/<ns>/<name> */
  managementUrl: string;
  /** Values read from the referenced Secrets: the cluster secret, the core DB URL, and the L2 cache password when configured. */
  secrets: { clusterSecret: string; coreDbUrl: string; cachePassword?: string };
}

/** Pod-template annotation holding configChecksum(): a change of the worker config rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = "hugr.io/config-checksum";

/** Timeout of the worker's membership calls to the operator (register, heartbeat, deregister). */
const CLUSTER_TIMEOUT = "5s";
/** hugr's L1 size when enabled without one; the CRD's default too. */
const DEFAULT_L1_MAX_SIZE_MB = 512;
/** Bytes of randomness in a generated cluster secret. */
const CLUSTER_SECRET_BYTES = 32;

type Cache = NonNullable<HugrClusterSpec["cache"]>;

/**
 * The worker ConfigMap. ADMIN_UI and CORE_DB_READONLY are always written (their fields are always in
 * force, with the CRD's defaults). A cache writes nothing when its block is unset, its ENABLED flag when
 * the block is given, and its details (L1 size, L2 backend and addresses) only while it is on; no key
 * is ever an empty string.
 */
export function buildWorkerConfigMap(cluster: HugrCluster, inputs: WorkerInputs): V1ConfigMap {
  const { spec } = cluster;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: ownedMetadata(cluster, workerConfigName(cluster)),
    data: {
      BIND: `:${WORKER_PORT}`,
      HUGR_DATA_DIR: DATA_DIR,
      ADMIN_UI: String(spec.adminUI ?? true),
      CORE_DB_READONLY: String(spec.coreDB.readOnly ?? false),
      ...(spec.cache?.ttl ? { CACHE_TTL: spec.cache.ttl } : {}),
      ...l1CacheEnv(spec.cache?.l1),
      ...l2CacheEnv(spec.cache?.l2),
      CLUSTER_MANAGEMENT_URL: inputs.managementUrl,
      CLUSTER_TIMEOUT,
    },
  };
}

function l1CacheEnv(l1: Cache["l1"]): Record<string, string> {
  if (l1 === undefined) return {};
  if (l1.enabled !== true) return { CACHE_L1_ENABLED: "false" };
  return {
    CACHE_L1_ENABLED: "true",
    CACHE_L1_MAX_SIZE: String(l1.maxSizeMB ?? DEFAULT_L1_MAX_SIZE_MB),
    ...(l1.maxItemSizeMB !== undefined ? { CACHE_L1_MAX_ITEM_SIZE: String(l1.maxItemSizeMB) } : {}),
    ...(l1.cleanTime ? { CACHE_L1_CLEAN_TIME: l1.cleanTime } : {}),
    ...(l1.evictionTime ? { CACHE_L1_EVICTION_TIME: l1.evictionTime } : {}),
  };
}

function l2CacheEnv(l2: Cache["l2"]): Record<string, string> {
  if (l2 === undefined) return {};
  if (l2.enabled !== true) return { CACHE_L2_ENABLED: "false" };
  const env: Record<string, string> = { CACHE_L2_ENABLED: "true" };
  if (l2.backend) env.CACHE_L2_BACKEND = l2.backend;
  if (l2.addresses?.length) env.CACHE_L2_ADDRESSES = l2.addresses.join(",");
  if (l2.database !== undefined) env.CACHE_L2_DATABASE = String(l2.database);
  if (l2.username) env.CACHE_L2_USERNAME = l2.username;
  return env;
}

/**
 * The worker Secret, in `data` (base64) so the applied object equals what the apiserver stores.
 * CACHE_L2_PASSWORD only when the reconciler read one and the L2 cache is on.
 */
export function buildWorkerSecret(cluster: HugrCluster, inputs: WorkerInputs): V1Secret {
  const { clusterSecret, coreDbUrl, cachePassword } = inputs.secrets;
  const values: Record<string, string> = { CLUSTER_SECRET: clusterSecret, CORE_DB_PATH: coreDbUrl };
  if (cachePassword !== undefined && cluster.spec.cache?.l2?.enabled === true) {
    values.CACHE_L2_PASSWORD = cachePassword;
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMetadata(cluster, workerConfigName(cluster)),
    type: "Opaque",
    data: base64Values(values),
  };
}

/**
 * The Secret the operator generates when spec.clusterSecretRef is unset. The reconciler creates it
 * only when absent and never rewrites it: every worker and the operator must keep agreeing on it.
 */
export function buildClusterSecret(cluster: HugrCluster, value: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMetadata(cluster, clusterSecretName(cluster)),
    type: "Opaque",
    data: base64Values({ [CLUSTER_SECRET_KEY]: value }),
  };
}

/**
 * A new cluster secret: 32 random bytes as base64url (43 characters, no padding, no whitespace,
 * which the worker would refuse). `random` is node:crypto's randomBytes in production.
 */
export function generateClusterSecretValue(random: (bytes: number) => Buffer): string {
  const bytes = random(CLUSTER_SECRET_BYTES);
  if (bytes.length !== CLUSTER_SECRET_BYTES) {
    throw new Error(`cluster secret: expected ${CLUSTER_SECRET_BYTES} random bytes, got ${bytes.length}`);
  }
  return bytes.toString("base64url");
}

/**
 * sha256 (hex) of what the worker reads from the two objects: the ConfigMap's data and binaryData
 * and the Secret's data with stringData merged in as the apiserver would, each as key-sorted pairs.
 * Metadata is not part of it, so relabelling never rolls the pods.
 */
export function configChecksum(configMap: V1ConfigMap, secret: V1Secret): string {
  const secretData = { ...secret.data, ...base64Values(secret.stringData ?? {}) };
  const canonical = JSON.stringify({
    configMap: { data: sortedEntries(configMap.data), binaryData: sortedEntries(configMap.binaryData) },
    secret: { data: sortedEntries(secretData) },
  });
  return createHash("sha256").update(canonical).digest("hex");
}

function base64Values(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, Buffer.from(value, "utf8").toString("base64")]),
  );
}

function sortedEntries(map: Record<string, string> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => compareStrings(a, b));
}
