import type {
  V1Affinity,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1Probe,
  V1ResourceRequirements,
} from "@kubernetes/client-node";
import type { HugrCluster, HugrClusterSpec } from "../../../api/v1alpha1/index.js";
import { CONFIG_CHECKSUM_ANNOTATION } from "./config.js";
import { autoscalingEnabled } from "./hpa.js";
import {
  clusterName,
  DATA_DIR,
  PORT_NAME,
  podLabels,
  selectorLabels,
  WORKER_PORT,
  workerConfigName,
} from "./names.js";
import { ownedMetadata } from "./owner.js";

/**
 * The worker Deployment. The pod template holds only what the HugrCluster and the worker config
 * decide (config through CONFIG_CHECKSUM_ANNOTATION), never anything tied to the operator's own
 * version, so upgrading the operator does not roll the workers.
 */

/** spec.replicas' default in the CRD, for a HugrCluster the apiserver has not defaulted. */
export const DEFAULT_REPLICAS = 2;
/** Seconds the pod keeps serving after it is marked for deletion, while the Services drop it. */
const PRE_STOP_SLEEP_SECONDS = 5;
/** preStop sleep plus the worker's deregistration and drain of in-flight requests. */
const TERMINATION_GRACE_PERIOD_SECONDS = 45;
/** The nonroot user and group of distroless images. */
const NON_ROOT_ID = 65532;
const CONTAINER_NAME = "worker";
const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

type Spec = HugrClusterSpec;

/**
 * `replicas` is left out while autoscaling is enabled: with server-side apply, the field then
 * belongs to the HPA alone (the reconciler hands the current value over first: ../scale.ts).
 * The rollout never takes a worker down before its replacement is ready.
 */
export function buildDeployment(cluster: HugrCluster, checksum: string): V1Deployment {
  const replicas = autoscalingEnabled(cluster) ? {} : { replicas: cluster.spec.replicas ?? DEFAULT_REPLICAS };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: ownedMetadata(cluster, clusterName(cluster)),
    spec: {
      ...replicas,
      selector: { matchLabels: selectorLabels(cluster) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: {
        metadata: {
          labels: podLabels(cluster),
          annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum },
        },
        spec: podSpec(cluster),
      },
    },
  };
}

function podSpec(cluster: HugrCluster): V1PodSpec {
  const { spec } = cluster;
  return {
    containers: [workerContainer(cluster)],
    ...(spec.imagePullSecrets?.length
      ? { imagePullSecrets: spec.imagePullSecrets.map(({ name }) => ({ name })) }
      : {}),
    // Workers never call the Kubernetes API, and Service links would only add noise to their environment.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NON_ROOT_ID,
      runAsGroup: NON_ROOT_ID,
      fsGroup: NON_ROOT_ID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumes: [
      { name: "data", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ],
    ...scheduling(cluster),
  };
}

/** nodeSelector, tolerations and affinity as written; without an affinity, spread across nodes. */
function scheduling(cluster: HugrCluster): Pick<V1PodSpec, "nodeSelector" | "tolerations" | "affinity"> {
  const { nodeSelector, tolerations, affinity } = cluster.spec.scheduling ?? {};
  return {
    ...(nodeSelector === undefined ? {} : { nodeSelector }),
    // Free-form in the CRD (typed {}), copied as written; the apiserver validates them in the pod template.
    ...(tolerations === undefined ? {} : { tolerations }),
    affinity: affinity === undefined ? spreadAcrossNodes(cluster) : affinity,
  };
}

function spreadAcrossNodes(cluster: HugrCluster): V1Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: selectorLabels(cluster) },
            topologyKey: HOSTNAME_TOPOLOGY,
          },
        },
      ],
    },
  };
}

function workerContainer(cluster: HugrCluster): V1Container {
  const { spec } = cluster;
  return {
    name: CONTAINER_NAME,
    image: spec.image,
    ...(spec.imagePullPolicy === undefined ? {} : { imagePullPolicy: spec.imagePullPolicy }),
    // protocol is explicit: it is part of the ports list's merge key under server-side apply.
    ports: [{ name: PORT_NAME, containerPort: WORKER_PORT, protocol: "TCP" }],
    envFrom: [
      { configMapRef: { name: workerConfigName(cluster) } },
      { secretRef: { name: workerConfigName(cluster) } },
    ],
    env: workerEnv(spec.env),
    ...(spec.resources === undefined ? {} : { resources: resources(spec.resources) }),
    readinessProbe: httpProbe("/ready", { periodSeconds: 5, failureThreshold: 3 }),
    livenessProbe: httpProbe("/health", { periodSeconds: 10, failureThreshold: 3 }),
    startupProbe: httpProbe("/health", { periodSeconds: 2, failureThreshold: 30 }),
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "data", mountPath: DATA_DIR },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}

/**
 * The node identity the worker registers with, then the user's variables as written. A user variable
 * with one of our names replaces ours (server-side apply refuses duplicate names in a list keyed by
 * name); the rest of ours keep their place before the user's, so the user's values may use
 * $(POD_NAME) and $(POD_IP) too.
 */
function workerEnv(userEnv: Spec["env"]): V1EnvVar[] {
  const user = (userEnv ?? []).map(toEnvVar);
  const taken = new Set(user.map(({ name }) => name));
  const own: V1EnvVar[] = [
    { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
    { name: "POD_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } } },
    { name: "CLUSTER_NODE_NAME", value: "$(POD_NAME)" },
    { name: "CLUSTER_NODE_URL", value: `http://$(POD_IP):${WORKER_PORT}` },
  ];
  return [...own.filter(({ name }) => !taken.has(name)), ...user];
}

function toEnvVar(entry: NonNullable<Spec["env"]>[number]): V1EnvVar {
  const { name, value, valueFrom } = entry;
  return {
    name,
    ...(value === undefined ? {} : { value }),
    // Free-form in the CRD: copied as written; the apiserver validates it in the pod template.
    ...(valueFrom === undefined ? {} : { valueFrom }),
  };
}

/** Quantities may be written as numbers in the CRD (cpu: 2); the pod template takes strings. */
function resources(spec: NonNullable<Spec["resources"]>): V1ResourceRequirements {
  return {
    ...(spec.requests === undefined ? {} : { requests: quantities(spec.requests) }),
    ...(spec.limits === undefined ? {} : { limits: quantities(spec.limits) }),
  };
}

function quantities(map: Record<string, number | string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}

function httpProbe(path: string, timing: { periodSeconds: number; failureThreshold: number }): V1Probe {
  return { httpGet: { path, port: PORT_NAME, scheme: "HTTP" }, ...timing };
}
