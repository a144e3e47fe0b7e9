import type { V1Container, V1Deployment, V1PodSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { validSpecs } from "../../../api/v1alpha1/testdata.js";
import { CONFIG_CHECKSUM_ANNOTATION } from "./config.js";
import { buildDeployment } from "./deployment.js";
import { ownerReference } from "./owner.js";
import { demoCluster } from "./testdata.js";

const CHECKSUM = "a".repeat(64);
const autoscaling = { enabled: true, minReplicas: 2, maxReplicas: 10 };

function pod(deployment: V1Deployment): V1PodSpec {
  const spec = deployment.spec?.template.spec;
  if (!spec) throw new Error("no pod spec");
  return spec;
}

function worker(deployment: V1Deployment): V1Container {
  const container = pod(deployment).containers[0];
  if (!container) throw new Error("no container");
  return container;
}

describe("buildDeployment: object and rollout", () => {
  it("is an apps/v1 Deployment named after the cluster, owned by it, without server-owned fields", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(deployment.apiVersion).toBe("apps/v1");
    expect(deployment.kind).toBe("Deployment");
    expect(deployment.metadata).toMatchObject({ name: "demo", namespace: "hugr" });
    expect(deployment.metadata?.ownerReferences).toEqual([ownerReference(demoCluster())]);
    expect(deployment.metadata?.resourceVersion).toBeUndefined();
    expect(deployment.status).toBeUndefined();
  });

  it("selects by name and instance, which the pod labels include", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(deployment.spec?.selector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "hugr-worker", "app.kubernetes.io/instance": "demo" },
    });
    expect(deployment.spec?.template.metadata?.labels).toEqual({
      "app.kubernetes.io/name": "hugr-worker",
      "app.kubernetes.io/instance": "demo",
      "app.kubernetes.io/managed-by": "hugr-operator",
      "app.kubernetes.io/part-of": "hugr",
      "app.kubernetes.io/component": "worker",
    });
  });

  it("annotates the template with the config checksum and nothing else", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(deployment.spec?.template.metadata?.annotations).toEqual({
      [CONFIG_CHECKSUM_ANNOTATION]: CHECKSUM,
    });
    const other = buildDeployment(demoCluster(), "b".repeat(64));
    expect(other.spec?.template.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION]).toBe("b".repeat(64));
  });

  it("is deterministic: the same inputs give the same object", () => {
    const cluster = demoCluster(validSpecs.HugrCluster);
    expect(buildDeployment(cluster, CHECKSUM)).toEqual(buildDeployment(cluster, CHECKSUM));
  });

  it("rolls out without ever taking a worker down first", () => {
    expect(buildDeployment(demoCluster(), CHECKSUM).spec?.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
    });
  });
});

describe("buildDeployment: replicas", () => {
  it("defaults to 2 workers and follows spec.replicas, 0 included", () => {
    expect(buildDeployment(demoCluster(), CHECKSUM).spec?.replicas).toBe(2);
    expect(buildDeployment(demoCluster({ replicas: 5 }), CHECKSUM).spec?.replicas).toBe(5);
    expect(buildDeployment(demoCluster({ replicas: 0 }), CHECKSUM).spec?.replicas).toBe(0);
  });

  it("leaves replicas out entirely while autoscaling is enabled", () => {
    const spec = buildDeployment(demoCluster({ replicas: 5, autoscaling }), CHECKSUM).spec;
    expect(spec).not.toHaveProperty("replicas");
  });

  it("owns replicas again when autoscaling is disabled", () => {
    const cluster = demoCluster({ replicas: 3, autoscaling: { ...autoscaling, enabled: false } });
    expect(buildDeployment(cluster, CHECKSUM).spec?.replicas).toBe(3);
  });
});

describe("buildDeployment: container", () => {
  it("runs the image with the worker port, config from envFrom, and no pull policy unless set", () => {
    const container = worker(buildDeployment(demoCluster(), CHECKSUM));
    expect(pod(buildDeployment(demoCluster(), CHECKSUM)).containers).toHaveLength(1);
    expect(container.name).toBe("worker");
    expect(container.image).toBe("ghcr.io/example/hugr-worker:1.0.0");
    expect(container).not.toHaveProperty("imagePullPolicy");
    expect(container).not.toHaveProperty("resources");
    expect(container.ports).toEqual([{ name: "http", containerPort: 15000, protocol: "TCP" }]);
    expect(container.envFrom).toEqual([
      { configMapRef: { name: "demo-worker" } },
      { secretRef: { name: "demo-worker" } },
    ]);
  });

  it("copies the pull policy and pull secrets", () => {
    const cluster = demoCluster({ imagePullPolicy: "Always", imagePullSecrets: [{ name: "registry" }] });
    const deployment = buildDeployment(cluster, CHECKSUM);
    expect(worker(deployment).imagePullPolicy).toBe("Always");
    expect(pod(deployment).imagePullSecrets).toEqual([{ name: "registry" }]);
    expect(pod(buildDeployment(demoCluster(), CHECKSUM))).not.toHaveProperty("imagePullSecrets");
    expect(pod(buildDeployment(demoCluster({ imagePullSecrets: [] }), CHECKSUM))).not.toHaveProperty(
      "imagePullSecrets",
    );
  });

  it("gives the node its identity from the downward API, then the user's variables as written", () => {
    const env = worker(buildDeployment(demoCluster(validSpecs.HugrCluster), CHECKSUM)).env;
    expect(env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
      { name: "POD_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } } },
      { name: "CLUSTER_NODE_NAME", value: "$(POD_NAME)" },
      { name: "CLUSTER_NODE_URL", value: "http://$(POD_IP):15000" },
      { name: "LOG_LEVEL", value: "debug" },
      { name: "EXTRA", valueFrom: { secretKeyRef: { name: "x", key: "y" } } },
    ]);
  });

  it("lets a user variable replace one of ours, keeping names unique", () => {
    const cluster = demoCluster({ env: [{ name: "CLUSTER_NODE_URL", value: "https://$(POD_IP):15000" }] });
    const env = worker(buildDeployment(cluster, CHECKSUM)).env ?? [];
    expect(env.map(({ name }) => name)).toEqual([
      "POD_NAME",
      "POD_IP",
      "CLUSTER_NODE_NAME",
      "CLUSTER_NODE_URL",
    ]);
    expect(env.at(-1)).toEqual({ name: "CLUSTER_NODE_URL", value: "https://$(POD_IP):15000" });
  });

  it("keeps an empty user value (it is not unset)", () => {
    const env = worker(buildDeployment(demoCluster({ env: [{ name: "EMPTY", value: "" }] }), CHECKSUM)).env;
    expect(env?.at(-1)).toEqual({ name: "EMPTY", value: "" });
  });

  it("renders resources as quantity strings", () => {
    const deployment = buildDeployment(demoCluster(validSpecs.HugrCluster), CHECKSUM);
    expect(worker(deployment).resources).toEqual({
      requests: { cpu: "1", memory: "2Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
    const onlyLimits = buildDeployment(demoCluster({ resources: { limits: { memory: "1Gi" } } }), CHECKSUM);
    expect(worker(onlyLimits).resources).toEqual({ limits: { memory: "1Gi" } });
  });

  it("probes readiness on /ready and liveness and startup on /health, by port name", () => {
    const container = worker(buildDeployment(demoCluster(), CHECKSUM));
    const get = (path: string): object => ({ httpGet: { path, port: "http", scheme: "HTTP" } });
    expect(container.readinessProbe).toEqual({ ...get("/ready"), periodSeconds: 5, failureThreshold: 3 });
    expect(container.livenessProbe).toEqual({ ...get("/health"), periodSeconds: 10, failureThreshold: 3 });
    expect(container.startupProbe).toEqual({ ...get("/health"), periodSeconds: 2, failureThreshold: 30 });
  });

  it("sleeps before SIGTERM and leaves the worker time to deregister and drain", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(worker(deployment).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(pod(deployment).terminationGracePeriodSeconds).toBe(45);
  });
});

describe("buildDeployment: security", () => {
  it("runs as non-root under RuntimeDefault seccomp with no privileges and a read-only root", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(pod(deployment).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(worker(deployment).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod(deployment).automountServiceAccountToken).toBe(false);
    expect(pod(deployment).enableServiceLinks).toBe(false);
  });

  it("gives the worker writable emptyDirs for its data dir and /tmp", () => {
    const deployment = buildDeployment(demoCluster(), CHECKSUM);
    expect(pod(deployment).volumes).toEqual([
      { name: "data", emptyDir: {} },
      { name: "tmp", emptyDir: {} },
    ]);
    expect(worker(deployment).volumeMounts).toEqual([
      { name: "data", mountPath: "/var/lib/hugr" },
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });
});

describe("buildDeployment: scheduling", () => {
  it("spreads workers across nodes when no affinity is given", () => {
    const spec = pod(buildDeployment(demoCluster(), CHECKSUM));
    expect(spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "hugr-worker",
                  "app.kubernetes.io/instance": "demo",
                },
              },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    });
    expect(spec).not.toHaveProperty("nodeSelector");
    expect(spec).not.toHaveProperty("tolerations");
  });

  it("copies nodeSelector, tolerations and affinity as written", () => {
    const { scheduling } = validSpecs.HugrCluster;
    const spec = pod(buildDeployment(demoCluster({ scheduling }), CHECKSUM));
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(spec.tolerations).toEqual([
      { key: "dedicated", operator: "Equal", value: "hugr", effect: "NoSchedule" },
    ]);
    expect(spec.affinity).toEqual({ podAntiAffinity: {} });
  });

  it("keeps a given empty affinity instead of adding the default", () => {
    const spec = pod(buildDeployment(demoCluster({ scheduling: { affinity: {} } }), CHECKSUM));
    expect(spec.affinity).toEqual({});
  });
});
