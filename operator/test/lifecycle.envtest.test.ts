/**
 * The operator's life on a real kube-apiserver with kube-controller-manager running: garbage
 * collection of a deleted HugrCluster's children, and leader election between two operator processes
 * (a standby takes over within the lease time when the leader dies; a container restarted in the
 * leader's pod is a new candidate that waits for the Lease like any standby).
 */
import type { V1Lease } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type RunningProcess } from "../../e2e/harness/processes.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { startEnvtest, type Envtest } from "./harness/envtest.js";
import {
  getJson,
  kubectlOk,
  OPERATOR_NAMESPACE,
  operatorKubeconfig,
  startOperatorProcess,
  createNamespaceWithCoreDb,
} from "./harness/operator.js";

/** The lease timings startOperatorProcess gives each replica. */
const LEASE_DURATION_MS = 4_000;
const RETRY_PERIOD_MS = 500;

let env: Envtest;
let pg: PostgresInstance;
let kubeconfigPath: string;
const operators: RunningProcess[] = [];

function cluster(name: string): string {
  return JSON.stringify({
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: { name, namespace: "hugr" },
    spec: {
      image: "ghcr.io/example/hugr-worker:1.0.0",
      replicas: 1,
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
    },
  });
}

/** A Pod standing in for an operator replica (no kubelet runs it): the leader labels its own. */
async function createReplicaPod(name: string): Promise<void> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: OPERATOR_NAMESPACE, labels: { "app.kubernetes.io/name": "hugr-operator" } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "operator",
          image: "ghcr.io/hugr-lab/hugr-operator:0.1.0",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
  await kubectlOk(env, ["apply", "--server-side", "-f", "-"], JSON.stringify(pod));
}

/** Names of the pods the Service would select: those labelled hugr.io/leader=true. */
async function leaderPods(): Promise<string[]> {
  const out = await kubectlOk(env, [
    "get",
    "pods",
    "-n",
    OPERATOR_NAMESPACE,
    "-l",
    "hugr.io/leader=true",
    "-o",
    "name",
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace("pod/", ""));
}

/** The pod part of a Lease holder identity `<pod name>_<random UUID>`. */
function podOf(identity: string | undefined): string | undefined {
  return identity?.slice(0, identity.lastIndexOf("_"));
}

/** True when a process of pod `podName` holds the Lease and that pod alone is labelled leader. */
async function leads(podName: string): Promise<boolean> {
  return (
    podOf(await holder()) === podName && JSON.stringify(await leaderPods()) === JSON.stringify([podName])
  );
}

/** The status a replica's management API answers (503 UNAVAILABLE on a standby). */
const managementStatus = (operator: RunningProcess): Promise<number> =>
  fetch(`${operator.url}/clusters/hugr/before/v1/nodes`).then((r) => r.status);

async function holder(): Promise<string | undefined> {
  const lease = await getJson<V1Lease>(env, ["lease", "hugr-operator", "-n", OPERATOR_NAMESPACE]);
  return lease?.spec?.holderIdentity;
}

const exists = async (args: string[]): Promise<boolean> => (await getJson(env, args)) !== undefined;

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest({ controllerManager: true }), startPostgres()]);
  await env.applyCrds();
  kubeconfigPath = await operatorKubeconfig(env);
  await createNamespaceWithCoreDb(env, "hugr", pg.url);
}, 180_000);

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop("SIGKILL")));
  await Promise.all([env?.stop(), pg?.stop()]);
});

describe("operator lifecycle", () => {
  it("keeps one leader, labelled on its pod; a standby takes over within the lease time when the leader dies", async () => {
    await Promise.all(["operator-a", "operator-b"].map(createReplicaPod));
    const first = await startOperatorProcess({ kubeconfigPath, podName: "operator-a" });
    operators.push(first);
    await eventually(() => leads("operator-a"), 10_000, "operator-a to lead");
    const second = await startOperatorProcess({ kubeconfigPath, podName: "operator-b" });
    operators.push(second);
    // Both are ready (caches synced); only the leader is selected by the Service and serves workers.
    expect(await leaderPods()).toEqual(["operator-a"]);
    expect(await managementStatus(second)).toBe(503);
    expect(await managementStatus(first)).not.toBe(503);

    // Only the leader reconciles: the cluster appears, rendered once.
    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("before"));
    await eventually(
      () => exists(["deployment", "before", "-n", "hugr"]),
      30_000,
      "the Deployment of 'before'",
    );

    await first.stop("SIGKILL");
    const tookOverMs = await eventually(
      async () => podOf(await holder()) === "operator-b" && (await leaderPods()).includes("operator-b"),
      LEASE_DURATION_MS * 3,
      "operator-b to lead",
    );
    // A functional bound, not a benchmark: the lease expires, then the next retry acquires it.
    expect(tookOverMs).toBeLessThan(LEASE_DURATION_MS + 4 * RETRY_PERIOD_MS + 3_000);
    expect(await managementStatus(second)).not.toBe(503);

    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("after"));
    await eventually(
      () => exists(["deployment", "after", "-n", "hugr"]),
      30_000,
      "the new leader to reconcile 'after'",
    );

    // The killed pod still carries the label (its unready container is out of the Service). The
    // kubelet restarts the container: it clears its own stale label and stays a standby.
    operators.push(await startOperatorProcess({ kubeconfigPath, podName: "operator-a" }));
    expect(await leaderPods()).toEqual(["operator-b"]);
  });

  it("hands the lease and the label over at once on a graceful stop", async () => {
    expect(await operators[1]!.stop("SIGTERM")).toBe(0);
    const tookOverMs = await eventually(
      () => leads("operator-a"),
      LEASE_DURATION_MS * 3,
      "operator-a to lead again",
    );
    expect(tookOverMs).toBeLessThan(LEASE_DURATION_MS);
  });

  it("makes a container restarted in the leader's pod wait for the Lease to expire, as any standby", async () => {
    // A leader with a long Lease, so that its successor's start fits well within it.
    expect(await operators[2]!.stop("SIGTERM")).toBe(0);
    const longLeaseMs = 10_000;
    const leader = await startOperatorProcess({
      kubeconfigPath,
      podName: "operator-a",
      env: { LEADER_ELECTION_LEASE_DURATION: `${longLeaseMs / 1000}s` },
    });
    operators.push(leader);
    await eventually(() => leads("operator-a"), LEASE_DURATION_MS * 3, "operator-a to lead");
    const term = await holder();

    // The kubelet restarts the killed container in the same pod: same POD_NAME, a new process.
    await leader.stop("SIGKILL");
    const killedAt = Date.now();
    const restarted = await startOperatorProcess({ kubeconfigPath, podName: "operator-a" });
    operators.push(restarted);
    // The term of the killed process is not its own: it stands by, its stale label removed.
    expect(Date.now() - killedAt).toBeLessThan(longLeaseMs - 2 * RETRY_PERIOD_MS);
    expect(await holder()).toBe(term);
    expect(await managementStatus(restarted)).toBe(503);
    expect(await leaderPods()).toEqual([]);

    await eventually(() => leads("operator-a"), longLeaseMs * 2, "the restarted operator-a to lead");
    expect(Date.now() - killedAt).toBeGreaterThan(longLeaseMs - 2 * RETRY_PERIOD_MS);
    expect(await holder()).not.toBe(term);
    expect(await managementStatus(restarted)).not.toBe(503);
  });

  it("leaves garbage collection of a deleted cluster's children to their owner references", async () => {
    for (const kind of ["deployment", "service", "configmap", "pdb"]) {
      expect(await exists([kind, kind === "configmap" ? "after-worker" : "after", "-n", "hugr"])).toBe(true);
    }
    await kubectlOk(env, ["delete", "hugrcluster", "after", "-n", "hugr", "--wait=true"]);
    const children = [
      ["deployment", "after"],
      ["service", "after"],
      ["service", "after-headless"],
      ["configmap", "after-worker"],
      ["secret", "after-worker"],
      ["secret", "after-cluster-secret"],
      ["pdb", "after"],
    ];
    await eventually(
      async () =>
        (await Promise.all(children.map(([kind, name]) => exists([kind!, name!, "-n", "hugr"])))).every(
          (e) => !e,
        ),
      60_000,
      "every child of 'after' to be garbage-collected",
    );
    expect(await exists(["deployment", "before", "-n", "hugr"])).toBe(true);
  });
});
