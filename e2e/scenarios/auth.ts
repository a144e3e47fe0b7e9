/**
 * Authentication on: every environment gives its HugrCluster `spec.auth.secretKeySecretRef`, the
 * Secret AUTH_SECRET (labelled `hugr.io/reload=true`), and its driver sends that secret key with
 * every request unless a scenario says otherwise. With a secret key configured, anonymous requests
 * have role `public`, which may not use the core module.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CLUSTER_NODES_VIEW } from "../cluster/reference-cluster-queries.js";
import type { GraphQLResult, Scenario, ScenarioDriver } from "./driver.js";
import { gql, kubectlOk, waitFor } from "./steps.js";

/** The Secret holding the cluster admin's secret key, and its key. */
export const AUTH_SECRET = "hugr-auth";
export const AUTH_SECRET_KEY = "secret-key";
/** hugr's header for the secret key. */
export const SECRET_KEY_HEADER = "x-hugr-secret-key";

/** `spec.auth` of the HugrClusters the environments create. */
export const CLUSTER_AUTH = { secretKeySecretRef: { name: AUTH_SECRET, key: AUTH_SECRET_KEY } } as const;

/** A new random secret key. */
export function newSecretKey(): string {
  return `e2e-sk-${randomBytes(18).toString("hex")}`;
}

const CORE_QUERY = "{ core { data_sources { name } } }";
const ME = "{ function { core { auth { me { role auth_type } } } } }";

/** The secret key the Secret holds now. */
export async function readSecretKey(driver: Pick<ScenarioDriver, "kubectl" | "namespace">): Promise<string> {
  const args = [
    "get",
    "secret",
    AUTH_SECRET,
    "-n",
    driver.namespace,
    "-o",
    `jsonpath={.data.${AUTH_SECRET_KEY}}`,
  ];
  const result = await driver.kubectl(args);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  const value = Buffer.from(result.stdout, "base64").toString("utf8");
  assert.ok(value.length >= 16, `Secret ${AUTH_SECRET} has no usable ${AUTH_SECRET_KEY}`);
  return value;
}

/**
 * Writes `value` into the Secret (read, changed, `kubectl replace -f -`): through standard input,
 * not in kubectl's arguments, which any process list shows.
 */
async function writeSecretKey(driver: ScenarioDriver, value: string): Promise<void> {
  const secret = JSON.parse(
    await kubectlOk(driver, ["get", "secret", AUTH_SECRET, "-n", driver.namespace, "-o", "json"]),
  ) as { data?: Record<string, string> };
  secret.data = { ...secret.data, [AUTH_SECRET_KEY]: Buffer.from(value).toString("base64") };
  await kubectlOk(driver, ["replace", "-n", driver.namespace, "-f", "-"], JSON.stringify(secret));
}

function code(result: GraphQLResult): unknown {
  return result.errors?.[0]?.extensions?.["code"];
}

function succeeded(result: GraphQLResult): boolean {
  return result.status === 200 && result.errors === undefined && result.data !== undefined;
}

/** Each node's answer to `me` with `key`: 200 and admin, or the status it refused with. */
async function withKey(driver: ScenarioDriver, nodes: readonly string[], key: string): Promise<number[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const result = await driver.graphql(ME, undefined, { node, headers: { [SECRET_KEY_HEADER]: key } });
      if (!succeeded(result)) return result.status ?? 0;
      const me = (result.data as { function: { core: { auth: { me: { role: string } } } } }).function.core
        .auth.me;
      return me.role === "admin" ? 200 : -1;
    }),
  );
}

/**
 * (f) Every work node refuses the core module to anonymous requests and answers a wrong secret key
 * with 401; a new secret key written into the Secret reaches every node, the old one stops working,
 * and the nodes are the same (no restart: the settings travel with the heartbeats).
 */
export const authentication: Scenario = {
  name: "authentication: the core module refused to anonymous requests and a wrong secret key 401 on every node; a rotated secret key reaches every node without a restart",
  async run(driver) {
    const listed = await gql<{ core: { cluster: { cluster_nodes: { name: string }[] } } }>(
      driver,
      CLUSTER_NODES_VIEW,
    );
    const nodes = listed.core.cluster.cluster_nodes.map((n) => n.name).sort();
    assert.equal(nodes.length, driver.replicas, JSON.stringify(nodes));
    const original = await readSecretKey(driver);
    const wrong = newSecretKey();
    for (const node of nodes) {
      const anonymous = await driver.graphql(CORE_QUERY, undefined, { node, headers: {} });
      assert.equal(code(anonymous), "FORBIDDEN", `${node}, anonymous: ${JSON.stringify(anonymous)}`);
      assert.equal(anonymous.data ?? null, null, `${node}, anonymous: data`);
      const me = await driver.graphql(ME, undefined, { node, headers: {} });
      assert.deepEqual(
        me.data,
        { function: { core: { auth: { me: { role: "public", auth_type: "anonymous" } } } } },
        `${node}, anonymous: ${JSON.stringify(me)}`,
      );
      const refused = await driver.graphql(CORE_QUERY, undefined, {
        node,
        headers: { [SECRET_KEY_HEADER]: wrong },
      });
      assert.equal(refused.status, 401, `${node}, a wrong secret key: ${JSON.stringify(refused)}`);
      assert.equal(refused.data ?? null, null, `${node}, a wrong secret key: data`);
      assert.ok(refused.errors?.[0]?.message, `${node}, a wrong secret key: no error message`);
      const admin = await driver.graphql(CORE_QUERY, undefined, { node });
      assert.ok(succeeded(admin), `${node}, the secret key: ${JSON.stringify(admin)}`);
    }

    const rotated = newSecretKey();
    const begin = Date.now();
    await writeSecretKey(driver, rotated);
    try {
      await waitFor(
        driver,
        "every node takes the new secret key and refuses the old one",
        async () => ({
          rotated: await withKey(driver, nodes, rotated),
          old: await withKey(driver, nodes, original),
        }),
        (seen) => seen.rotated.every((s) => s === 200) && seen.old.every((s) => s === 401),
      );
      driver.log?.(`  a new secret key in the Secret reached every node in ${Date.now() - begin} ms`);
      const after = await driver.graphql(CLUSTER_NODES_VIEW, undefined, {
        headers: { [SECRET_KEY_HEADER]: rotated },
      });
      assert.ok(succeeded(after), JSON.stringify(after));
      const names = (after.data as typeof listed).core.cluster.cluster_nodes.map((n) => n.name).sort();
      assert.deepEqual(names, nodes, "the same nodes: the new settings needed no restart");
    } finally {
      await writeSecretKey(driver, original);
      await waitFor(
        driver,
        "every node takes the original secret key again",
        () => withKey(driver, nodes, original),
        (statuses) => statuses.every((s) => s === 200),
      );
    }
    const logs = (await driver.logs?.()) ?? "";
    for (const [what, value] of [
      ["the secret key", original],
      ["the rotated secret key", rotated],
      ["the wrong secret key sent", wrong],
    ]) {
      assert.ok(!logs.includes(value!), `${what} shows in the operator's or the work nodes' logs`);
    }
  },
};
