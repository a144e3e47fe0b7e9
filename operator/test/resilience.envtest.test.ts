/**
 * The operator keeps reconciling through what breaks watches in real clusters: a watch connection
 * that goes silent (a dead load balancer: no bytes, no close) and a kube-apiserver restart. The
 * operator reaches the apiserver through a TCP proxy that can freeze its open connections.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type RunningProcess } from "../../e2e/harness/processes.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import { kubeconfigYaml, startEnvtest, type Envtest } from "./harness/envtest.js";
import {
  getJson,
  kubectlOk,
  operatorKubeconfig,
  startOperatorProcess,
  createNamespaceWithCoreDb,
} from "./harness/operator.js";
import { startTcpProxy, type TcpProxy } from "./harness/tcp-proxy.js";

/**
 * Long enough for client-node's 30 s watch inactivity timeout, the 30 s request timeout and a retry.
 * (With frozen connections the Lease renewals fail too: the leader steps down after its renew deadline,
 * campaigns again and its new term re-reads every HugrCluster, which is often the faster path.)
 */
const RECOVERY_MS = 90_000;

let env: Envtest;
let pg: PostgresInstance;
let proxy: TcpProxy;
let operator: RunningProcess;

async function adminUI(): Promise<string | undefined> {
  return (await getJson<V1ConfigMap>(env, ["configmap", "demo-worker", "-n", "hugr"]))?.data?.["ADMIN_UI"];
}

/** Reconciles the operator finished (any result), from its /metrics. */
async function reconciles(): Promise<number> {
  const text = await (await fetch(`${operator.url}/metrics`)).text();
  const counts = text.matchAll(/^hugr_operator_reconciles_total\{[^}]*\} (\d+)/gm);
  return [...counts].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function setAdminUI(value: boolean): Promise<void> {
  await kubectlOk(env, [
    "patch",
    "hugrcluster",
    "demo",
    "-n",
    "hugr",
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { adminUI: value } }),
  ]);
}

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
  await env.applyCrds();
  // The operator's kubeconfig, pointed at the proxy instead of the apiserver.
  const direct = await operatorKubeconfig(env);
  proxy = await startTcpProxy({ targetPort: Number(new URL(env.server).port) });
  const token =
    /token: "(.*)"/.exec(await import("node:fs/promises").then((fs) => fs.readFile(direct, "utf8")))?.[1] ??
    "";
  const kubeconfigPath = join(env.dir, "operator-via-proxy.kubeconfig");
  await writeFile(
    kubeconfigPath,
    kubeconfigYaml({ server: `https://127.0.0.1:${proxy.port}`, token, caPath: env.caPath }),
  );
  operator = await startOperatorProcess({ kubeconfigPath });

  await createNamespaceWithCoreDb(env, "hugr", pg.url);
  const cluster = {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: { name: "demo", namespace: "hugr" },
    spec: {
      image: "ghcr.io/example/hugr-worker:1.0.0",
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
    },
  };
  await kubectlOk(env, ["apply", "--server-side", "-f", "-"], JSON.stringify(cluster));
  await eventually(async () => (await adminUI()) === "true", 30_000, "the worker ConfigMap");
}, 180_000);

afterAll(async () => {
  await operator?.stop("SIGKILL");
  await proxy?.close();
  await Promise.all([env?.stop(), pg?.stop()]);
});

describe("the operator's watches", () => {
  it(
    "recover from connections that went silent",
    async () => {
      // The HugrCluster watch has just delivered an event: its connection is open, so the freeze holds it.
      const before = await reconciles();
      await kubectlOk(env, ["annotate", "hugrcluster", "demo", "-n", "hugr", "example.com/touched=1"]);
      await eventually(async () => (await reconciles()) > before, 30_000, "the annotation reconciled");
      proxy.freeze();
      expect(proxy.frozenConnections()).toBeGreaterThan(0);
      await setAdminUI(false);
      // Nothing can notice before the watch times out or the Lease renewals (frozen too) miss their
      // 3 s deadline, so for the first 2 s the change is not seen: the connections are really silent.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await adminUI()).toBe("true");
      await eventually(
        async () => (await adminUI()) === "false",
        RECOVERY_MS,
        "the change seen through a new watch",
      );
      expect((await fetch(`${operator.url}/health`)).status).toBe(200);
    },
    RECOVERY_MS + 30_000,
  );

  it(
    "recover from a kube-apiserver restart",
    async () => {
      await env.restartApiserver();
      await setAdminUI(true);
      await eventually(async () => (await adminUI()) === "true", RECOVERY_MS, "the change after the restart");
      expect((await fetch(`${operator.url}/health`)).status).toBe(200);
      expect(operator.child.exitCode).toBeNull();
    },
    RECOVERY_MS + 30_000,
  );
});
