/**
 * The end-to-end scenarios of hugr on Kubernetes, written once: the envtest suite
 * (scenarios.envtest.test.ts) and the kind suite (e2e/kind/run-scenarios.ts) run this list, in this
 * order, through their own {@link ScenarioDriver}. Every scenario removes what it created, and none
 * depends on another having passed.
 *
 * GraphQL documents are the reference page's where it has them (worker/test/reference-queries.ts,
 * e2e/cluster/reference-cluster-queries.ts), run unchanged.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  ADD_DATA_SOURCE,
  ADD_DATA_SOURCE_VARIABLES,
  DELETE_DATA_SOURCE,
} from "../../worker/test/reference-queries.js";
import {
  CLUSTER_NODES_VIEW,
  DATA_SOURCE_STATUS,
  REGISTERED_STORAGES_VIEW,
} from "../cluster/reference-cluster-queries.js";
import { authentication } from "./auth.js";
import type { Scenario, ScenarioDriver } from "./driver.js";
import { EVENTS_ROWS, EVENTS_SDL, eventsIn, eventsQuery, type EventsField } from "./events-source.js";
import {
  apply,
  condition,
  deleteResource,
  getResource,
  gql,
  isReady,
  kubectlOk,
  waitFor,
  waitGone,
  type NodeResult,
  type Resource,
} from "./steps.js";

const API_VERSION = "hugr.io/v1alpha1";

/** The data source applied with kubectl (metadata.name is its name in hugr). */
export const ANALYTICS = "analytics";
/** The data source created through GraphQL (a valid resource name and hugr name). */
export const SALES = "sales";
/** The object storage, and the Secret with its credentials. */
export const STORAGE = "minio-storage";
export const STORAGE_SECRET = "minio-credentials";

interface ClusterStatus {
  registeredNodes?: number;
  nodes?: { name: string; url: string; ready: boolean }[];
}
interface DataSourceSpec {
  clusterRef: { name: string };
  type: string;
  prefix?: string;
  path?: string;
  pathSecretRef?: { name: string; key: string };
  catalogs?: { name: string; type: string; path: string; description?: string }[];
}
interface DataSourceStatus {
  loaded?: number;
  total?: number;
  nodes?: NodeResult[];
}
interface StorageStatus {
  registered?: number;
  total?: number;
  nodes?: NodeResult[];
}
type HugrCluster = Resource<unknown, ClusterStatus>;
type HugrDataSource = Resource<DataSourceSpec, DataSourceStatus>;
type HugrObjectStorage = Resource<unknown, StorageStatus>;

/** `core.data_sources` filtered by name, hugr's filter syntax. */
export const DATA_SOURCE_BY_NAME = `query dataSourceByName($name: String!) {
  core {
    data_sources(filter: {name: {eq: $name}}) {
      name
      type
      prefix
    }
  }
}`;

/** The HugrDataSource `analytics` as a user writes it. */
export function analyticsDataSource(driver: ScenarioDriver): Resource<DataSourceSpec> {
  return {
    apiVersion: API_VERSION,
    kind: "HugrDataSource",
    metadata: { name: ANALYTICS, namespace: driver.namespace },
    spec: {
      clusterRef: { name: driver.clusterName },
      type: "postgres",
      prefix: "an",
      path: driver.dataSourcePath,
      catalogs: [
        { name: "analytics_schema", type: "text", description: "The events table", path: EVENTS_SDL },
      ],
    },
  };
}

async function dataSourceRows(driver: ScenarioDriver, name: string): Promise<{ name: string }[]> {
  const data = await gql<{ core: { data_sources: { name: string }[] } }>(driver, DATA_SOURCE_BY_NAME, {
    name,
  });
  return data.core.data_sources;
}

/** Waits for a data source to be Ready: loaded on every ready node of the cluster. */
async function dataSourceReady(driver: ScenarioDriver, name: string): Promise<HugrDataSource> {
  const ready = await waitFor(
    driver,
    `HugrDataSource ${name} Ready on ${driver.replicas} nodes`,
    () => getResource<HugrDataSource>(driver, "hds", name),
    (o) => isReady(o) && o.status?.loaded === driver.replicas && o.status.total === driver.replicas,
  );
  const status = ready.status!;
  assert.equal(status.loaded, status.total, "loaded === total");
  assert.equal(status.nodes?.length, driver.replicas, `one node result per node: ${JSON.stringify(status)}`);
  for (const node of status.nodes ?? []) {
    assert.equal(node.status, "attached", `node ${node.node}: ${JSON.stringify(node)}`);
    assert.ok(!node.error, `node ${node.node} has an error: ${node.error}`);
  }
  return ready;
}

/** The rows of `events` as a work node serves them where the data source puts them. */
async function servedEvents(driver: ScenarioDriver, where: EventsField): Promise<unknown> {
  return eventsIn(await gql(driver, eventsQuery(where)), where);
}

/** A password the DSN carries: trust authentication ignores it, the operator must keep it out of sight. */
function withPassword(dsn: string, password: string): string {
  const url = new URL(dsn);
  url.password = password;
  return url.toString();
}

/** Text of everything kubectl shows about the namespace's hugr resources and Events. */
async function visibleText(driver: ScenarioDriver): Promise<string> {
  const ns = ["-n", driver.namespace];
  const parts = await Promise.all([
    kubectlOk(driver, ["get", "hugrdatasources,hugrobjectstorages,hugrclusters", ...ns, "-o", "json"]),
    kubectlOk(driver, ["get", "events", ...ns, "-o", "json"]),
    kubectlOk(driver, ["get", "events.events.k8s.io", ...ns, "-o", "json"]),
    kubectlOk(driver, ["describe", "hugrdatasources,hugrobjectstorages", ...ns]),
  ]);
  return parts.join("\n");
}

/** (a) The cluster the environment started is Ready, with every work node registered. */
const clusterReady: Scenario = {
  name: "a HugrCluster becomes Ready with its work nodes registered",
  async run(driver) {
    const hc = await waitFor(
      driver,
      `HugrCluster ${driver.clusterName} Ready with ${driver.replicas} registered nodes`,
      () => getResource<HugrCluster>(driver, "hc", driver.clusterName),
      (o) => isReady(o) && o.status?.registeredNodes === driver.replicas,
    );
    assert.equal(hc.status?.registeredNodes, driver.replicas);
    assert.equal(condition(hc, "Ready")?.reason, "AllNodesReady");
    const nodes = hc.status?.nodes ?? [];
    assert.equal(nodes.length, driver.replicas, JSON.stringify(nodes));
    assert.ok(
      nodes.every((n) => n.ready),
      `every node ready: ${JSON.stringify(nodes)}`,
    );

    // The work nodes see the same registry through the reference's view.
    const data = await gql<{ core: { cluster: { cluster_nodes: { name: string; ready: boolean }[] } } }>(
      driver,
      CLUSTER_NODES_VIEW,
    );
    const viewed = data.core.cluster.cluster_nodes;
    assert.deepEqual(viewed.map((n) => n.name).sort(), nodes.map((n) => n.name).sort());
    assert.ok(
      viewed.every((n) => n.ready),
      `every node ready in cluster_nodes: ${JSON.stringify(viewed)}`,
    );
  },
};

/** (b) kubectl apply of a HugrDataSource: Ready, loaded on every node, visible through GraphQL. */
const dataSourceApplied: Scenario = {
  name: "kubectl apply of a HugrDataSource reaches Ready with the source attached on every node",
  async run(driver) {
    await apply(driver, analyticsDataSource(driver));
    await dataSourceReady(driver, ANALYTICS);

    assert.deepEqual(
      (await dataSourceRows(driver, ANALYTICS)).map((r) => r.name),
      [ANALYTICS],
    );
    const status = await gql<{
      function: { core: { cluster: { data_source_status: { node: string; status: string }[] } } };
    }>(driver, DATA_SOURCE_STATUS(ANALYTICS));
    const perNode = status.function.core.cluster.data_source_status;
    assert.equal(perNode.length, driver.replicas, JSON.stringify(perNode));
    assert.ok(
      perNode.every((n) => n.status === "attached"),
      `attached on every node: ${JSON.stringify(perNode)}`,
    );
    assert.deepEqual(
      await servedEvents(driver, { field: "an_events" }),
      EVENTS_ROWS,
      "the rows a work node serves",
    );
  },
};

/** (c) The GraphQL twin: insert_data_sources creates the resource, delete_data_sources deletes it. */
const dataSourceThroughGraphQL: Scenario = {
  name: "insert_data_sources through a work node creates a HugrDataSource; delete_data_sources deletes it",
  async run(driver) {
    await deleteResource(driver, "hds", SALES);
    await waitGone(driver, "hds", SALES);
    const password = `e2e-dsn-${randomBytes(12).toString("hex")}`;
    const data = {
      ...ADD_DATA_SOURCE_VARIABLES.data,
      name: SALES,
      prefix: "sa",
      description: "Sales database",
      path: withPassword(driver.dataSourcePath, password),
      catalogs: [{ name: "sales_schema", type: "text", description: "The events table", path: EVENTS_SDL }],
    };
    const inserted = await gql<{ core: { insert_data_sources: { name: string; type: string } } }>(
      driver,
      ADD_DATA_SOURCE,
      { data },
    );
    assert.equal(inserted.core.insert_data_sources.name, SALES);

    // The mutation answers once the resource exists and is reconciled.
    const created = await getResource<HugrDataSource>(driver, "hds", SALES);
    assert.ok(created, `kubectl get hds ${SALES}: the mutation created no HugrDataSource`);
    assert.equal(created.spec.clusterRef.name, driver.clusterName);
    assert.equal(created.spec.type, "postgres");
    assert.equal(created.spec.prefix, "sa");
    assert.deepEqual(
      created.spec.catalogs?.map((c) => [c.name, c.type]),
      [["sales_schema", "text"]],
    );
    await dataSourceReady(driver, SALES);
    assert.deepEqual(
      (await dataSourceRows(driver, SALES)).map((r) => r.name),
      [SALES],
    );
    assert.deepEqual(
      await servedEvents(driver, { field: "events", module: SALES }),
      EVENTS_ROWS,
      "the rows a work node serves",
    );
    const visible = await visibleText(driver);
    assert.ok(visible.includes(SALES), "kubectl shows the HugrDataSource");
    assert.ok(!visible.includes(password), "the DSN's password shows in a resource or an Event");

    const deleted = await gql<{ core: { delete_data_sources: { name: string }[] } }>(
      driver,
      DELETE_DATA_SOURCE,
      { name: SALES },
    );
    assert.deepEqual(deleted.core.delete_data_sources, [{ name: SALES }]);
    await waitGone(driver, "hds", SALES);
    assert.deepEqual(await dataSourceRows(driver, SALES), []);
  },
};

/** (d) kubectl delete of a HugrDataSource: gone from the core database and every node. */
const dataSourceDeleted: Scenario = {
  name: "kubectl delete hds removes the data source from the cluster",
  async run(driver) {
    // The resource of scenario (b); applied again (unchanged) so this scenario stands alone.
    await apply(driver, analyticsDataSource(driver));
    await waitFor(
      driver,
      `data source ${ANALYTICS} in core.data_sources`,
      () => dataSourceRows(driver, ANALYTICS),
      (rows) => rows.length === 1,
    );

    await deleteResource(driver, "hds", ANALYTICS);
    await waitFor(
      driver,
      `data source ${ANALYTICS} gone from core.data_sources`,
      () => dataSourceRows(driver, ANALYTICS),
      (rows) => rows.length === 0,
    );
    await waitGone(driver, "hds", ANALYTICS);
  },
};

/** (e) A HugrObjectStorage with its credentials in a Secret: Ready, and the secret key never shown. */
const objectStorage: Scenario = {
  name: "a HugrObjectStorage with a credentials Secret reaches Ready without showing the secret key",
  async run(driver) {
    const secretKey = `e2e-secret-${randomBytes(16).toString("hex")}`;
    await apply(
      driver,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: STORAGE_SECRET, namespace: driver.namespace },
        type: "Opaque",
        stringData: { key: "e2e-access-key-id", secret: secretKey },
      },
      {
        apiVersion: API_VERSION,
        kind: "HugrObjectStorage",
        metadata: { name: STORAGE, namespace: driver.namespace },
        spec: {
          clusterRef: { name: driver.clusterName },
          type: "s3",
          scope: "my-bucket",
          endpoint: "http://minio:9000",
          region: "us-east-1",
          useSSL: false,
          urlStyle: "path",
          urlCompatibility: false,
          credentialsSecretRef: { name: STORAGE_SECRET, keyIDKey: "key", secretKey: "secret" },
        },
      },
    );
    try {
      const ready = await waitFor(
        driver,
        `HugrObjectStorage ${STORAGE} Ready on ${driver.replicas} nodes`,
        () => getResource<HugrObjectStorage>(driver, "hos", STORAGE),
        (o) => isReady(o) && o.status?.registered === driver.replicas && o.status.total === driver.replicas,
      );
      const nodes = ready.status?.nodes ?? [];
      assert.equal(nodes.length, driver.replicas, JSON.stringify(nodes));
      assert.ok(
        nodes.every((n) => n.status === "registered" && !n.error),
        JSON.stringify(nodes),
      );

      const storages = await gql<{ core: { cluster: { registered_storages: { name: string }[] } } }>(
        driver,
        REGISTERED_STORAGES_VIEW,
      );
      const rows = storages.core.cluster.registered_storages;
      assert.equal(rows.filter((r) => r.name === STORAGE).length, driver.replicas, JSON.stringify(rows));

      const shown: [where: string, text: string][] = [
        [
          "kubectl get hos -o json",
          await kubectlOk(driver, ["get", "hos", "-n", driver.namespace, "-o", "json"]),
        ],
        ["the namespace's hugr resources or Events", await visibleText(driver)],
        ["core.cluster.registered_storages", JSON.stringify(storages)],
        ["the operator's or the work nodes' logs", (await driver.logs?.()) ?? ""],
      ];
      for (const [where, text] of shown) {
        assert.ok(!text.includes(secretKey), `${where}: the secret key is shown`);
      }
      for (const [where, text] of shown.slice(0, 3))
        assert.ok(text.includes(STORAGE), `${where}: no ${STORAGE}`);
    } finally {
      await deleteResource(driver, "hos", STORAGE);
      await waitGone(driver, "hos", STORAGE);
      await deleteResource(driver, "secret", STORAGE_SECRET);
    }
  },
};

/** Every scenario, in the order both suites run them. */
export const SCENARIOS: readonly Scenario[] = [
  clusterReady,
  dataSourceApplied,
  dataSourceThroughGraphQL,
  dataSourceDeleted,
  objectStorage,
  authentication,
];
