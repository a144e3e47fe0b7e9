/**
 * The operator's life on a real kube-apiserver with kube-controller-manager running: garbage
 * collection of a deleted HugrCluster's children, and leader election between two operator processes
 * (a standby takes over within the lease time when the leader dies).
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

const ready = (operator: RunningProcess): Promise<boolean> =>
  fetch(`${operator.url}/ready`).then(
    (r) => r.ok,
    () => false,
  );

async function holder(): Promise<string | undefined> {
  const lease = await getJson<V1Lease>(env, ["lease", "hugr-operator", "-n", OPERATOR_NAMESPACE]);
  return lease?.spec?.holderIdentity;
}

const exists = async (args: string[]): Promise<boolean> => (await getJson(env, args)) !== undefined;

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest({ controllerManager: true }), startPostgres()]);
  await env.applyCrds();
  kubeconfigPath = await operatorKubeconfig(env);
  await kubectlOk(env, ["create", "namespace", "hugr"]);
  await kubectlOk(env, [
    "create",
    "secret",
    "generic",
    "hugr-db",
    "-n",
    "hugr",
    `--from-literal=url=${pg.url}`,
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop("SIGKILL")));
  await Promise.all([env?.stop(), pg?.stop()]);
});

describe("operator lifecycle", () => {
  it("keeps one leader; a standby takes over within the lease time when the leader dies", async () => {
    const first = await startOperatorProcess({ kubeconfigPath, identity: "operator-a" });
    operators.push(first);
    await eventually(async () => (await holder()) === "operator-a", 10_000, "operator-a to hold the lease");
    const second = await startOperatorProcess({ kubeconfigPath, identity: "operator-b", noWait: true });
    operators.push(second);
    await eventually(
      async () =>
        await fetch(`${second.url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      "operator-b up",
    );
    expect(await ready(second)).toBe(false);
    expect(await ready(first)).toBe(true);

    // Only the leader reconciles: the cluster appears, rendered once.
    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("before"));
    await eventually(
      () => exists(["deployment", "before", "-n", "hugr"]),
      30_000,
      "the Deployment of 'before'",
    );

    await first.stop("SIGKILL");
    const tookOverMs = await eventually(() => ready(second), LEASE_DURATION_MS * 3, "operator-b to lead");
    expect(await holder()).toBe("operator-b");
    // A functional bound, not a benchmark: the lease expires, then the next retry acquires it.
    expect(tookOverMs).toBeLessThan(LEASE_DURATION_MS + 4 * RETRY_PERIOD_MS + 3_000);

    await kubectlOk(env, ["apply", "--server-side", "-f", "-"], cluster("after"));
    await eventually(
      () => exists(["deployment", "after", "-n", "hugr"]),
      30_000,
      "the new leader to reconcile 'after'",
    );
  });

  it("hands the lease over at once on a graceful stop", async () => {
    const leader = operators[1]!;
    const standby = await startOperatorProcess({ kubeconfigPath, identity: "operator-c", noWait: true });
    operators.push(standby);
    await eventually(
      async () =>
        await fetch(`${standby.url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      "operator-c up",
    );
    expect(await leader.stop("SIGTERM")).toBe(0);
    const tookOverMs = await eventually(() => ready(standby), LEASE_DURATION_MS * 3, "operator-c to lead");
    expect(tookOverMs).toBeLessThan(LEASE_DURATION_MS);
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
