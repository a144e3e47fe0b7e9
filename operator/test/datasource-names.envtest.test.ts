/**
 * What users hit, on a real kube-apiserver with the operator as its ServiceAccount and work nodes as
 * processes: a data source whose hugr name is no Kubernetes name (web_analytics) made through a
 * worker's GraphQL; two HugrDataSources naming one source (the later one reported, never applied);
 * load_data_source reloading a source whose catalog file changed on disk while its definition did
 * not; the Events of HugrDataSource and HugrObjectStorage; and the deletion of a HugrCluster, which
 * removes its nodes' rows from its core database (and completes when that database is unreachable).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOAD_DATA_SOURCE } from "../../e2e/cluster/reference-cluster-queries.js";
import { freePort, graphql, type RunningProcess } from "../../e2e/harness/processes.js";
import {
  createEventsDatabase,
  createEventsRole,
  EVENTS_ROWS,
  EVENTS_SDL,
  eventsIn,
  eventsQuery,
  type EventsField,
} from "../../e2e/scenarios/events-source.js";
import {
  ADD_DATA_SOURCE,
  DELETE_DATA_SOURCE,
  UPDATE_DATA_SOURCE,
} from "../../worker/test/reference-queries.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import type { Condition, HugrCluster, HugrDataSource, HugrObjectStorage } from "../src/api/v1alpha1/index.js";
import { resourceNameFor } from "../src/controllers/datasource/index.js";
import { startEnvtest, type Envtest } from "./harness/envtest.js";
import {
  applyClusterWithWorkers,
  applyObject,
  createNamespaceWithCoreDb,
  type FakePod,
  getJson,
  kubectlOk,
  operatorKubeconfig,
  startOperatorProcess,
  waitForValue,
} from "./harness/operator.js";

const NAMESPACE = "hugr";
const CLUSTER = { namespace: NAMESPACE, name: "demo" };
const PODS: FakePod[] = [
  { name: "demo-7a1e-0", ip: "127.0.0.51" },
  { name: "demo-7a1e-1", ip: "127.0.0.52" },
];
/** The data source's name in hugr, which Kubernetes refuses as a resource name. */
const HUGR_NAME = "web_analytics";
const WEB_PASSWORD = "pw-5e71c2";

let env: Envtest;
let pg: PostgresInstance;
let sql: postgres.Sql;
let eventsUrl: string;
let webDsn: string;
let catalogDir: string;
let operator: RunningProcess;
const workers = new Map<string, RunningProcess>();

const apply = (object: unknown): Promise<string> => applyObject(env, object);

const readyOf = (o: { status?: { conditions?: Condition[] } } | undefined): Condition | undefined =>
  o?.status?.conditions?.find((c) => c.type === "Ready");

const hds = (name: string): Promise<HugrDataSource | undefined> =>
  getJson<HugrDataSource>(env, ["hds", name, "-n", NAMESPACE]);

/** Ready=True for the current generation, with every node in `state`. */
function settled(state: string) {
  return (o: HugrDataSource | HugrObjectStorage): boolean =>
    readyOf(o)?.status === "True" &&
    readyOf(o)?.observedGeneration === o.metadata.generation &&
    (o.status?.nodes ?? []).length === PODS.length &&
    (o.status?.nodes ?? []).every((n) => n.status === state);
}

async function row(name: string): Promise<Record<string, unknown> | undefined> {
  const rows = await sql`SELECT name, path, prefix, description FROM data_sources WHERE name = ${name}`;
  return rows[0];
}

async function clusterNodeRows(cluster: string): Promise<string[]> {
  const rows = await sql<
    { name: string }[]
  >`SELECT name FROM cluster_nodes WHERE cluster = ${cluster} ORDER BY name`;
  return rows.map((r) => r.name);
}

/** A GraphQL answer's errors, as `code: message` lines (empty when there were none). */
function errorsOf(body: unknown): string[] {
  const errors = (body as { errors?: { message: string; extensions?: { code?: string } }[] }).errors ?? [];
  return errors.map((e) => `${e.extensions?.code ?? ""}: ${e.message}`);
}

async function gql(query: string, variables?: Record<string, unknown>): Promise<unknown> {
  return (await graphql(workers.get(PODS[0]!.name)!.url, query, variables)).body;
}

/** What every node answers to the query of `events` where a data source serves it. */
async function servedEverywhere(where: EventsField): Promise<unknown[]> {
  return Promise.all(
    [...workers.values()].map(async (node) => {
      const { body } = await graphql(node.url, eventsQuery(where));
      const errors = errorsOf(body);
      return errors.length > 0 ? errors : eventsIn((body as { data?: unknown }).data, where);
    }),
  );
}

interface EventItem {
  regarding?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  note?: string;
}

/** The Events about one object, as events.k8s.io/v1 lists them. */
async function eventsAbout(kind: string, name: string): Promise<EventItem[]> {
  const list = await getJson<{ items: EventItem[] }>(env, ["events.v1.events.k8s.io", "-n", NAMESPACE]);
  return (list?.items ?? []).filter((e) => e.regarding?.kind === kind && e.regarding.name === name);
}

/** Waits for an Event about `kind/name` with `reason`, and resolves with it. */
async function eventWith(kind: string, name: string, reason: string): Promise<EventItem> {
  const events = await waitForValue(
    `a ${reason} Event about ${kind} ${name}`,
    () => eventsAbout(kind, name),
    (items) => items.some((e) => e.reason === reason),
  );
  return events.find((e) => e.reason === reason)!;
}

/** The catalog of `events` under another type name: the GraphQL field it gives the table changes. */
const renamedSdl = (type: string): string => EVENTS_SDL.replace("type events ", `type ${type} `);

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
  sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
  eventsUrl = await createEventsDatabase(pg, "events");
  webDsn = await createEventsRole(pg, eventsUrl, "web", WEB_PASSWORD);
  catalogDir = await mkdtemp(join(tmpdir(), "hugr-catalog-"));
  await writeFile(join(catalogDir, "web.graphql"), EVENTS_SDL);
  await env.applyCrds();
  operator = await startOperatorProcess({ kubeconfigPath: await operatorKubeconfig(env) });
  await createNamespaceWithCoreDb(env, NAMESPACE, pg.url);
  await applyClusterWithWorkers(env, CLUSTER, PODS, workers);
}, 180_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.stop("SIGKILL")));
  await operator?.stop();
  await sql?.end();
  await Promise.all([env?.stop(), pg?.stop()]);
  if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
});

describe("a data source whose hugr name is no resource name", () => {
  const resourceName = resourceNameFor(HUGR_NAME);

  it("insert_data_sources of web_analytics makes a HugrDataSource with a valid name and spec.name", async () => {
    const body = await gql(ADD_DATA_SOURCE, {
      data: {
        name: HUGR_NAME,
        type: "postgres",
        prefix: "wa",
        path: webDsn,
        catalogs: [{ name: "web_analytics_schema", type: "uriFile", path: join(catalogDir, "web.graphql") }],
      },
    });
    expect(errorsOf(body)).toEqual([]);
    expect(resourceName).toMatch(/^web-analytics-[0-9a-f]{8}$/);
    const created = await waitForValue("the resource Ready", () => hds(resourceName), settled("attached"));
    expect(created.spec).toMatchObject({
      name: HUGR_NAME,
      pathSecretRef: { name: `${resourceName}-dsn`, key: "url" },
    });
    // The row and every node use the hugr name; the password stays in the Secret the resource owns.
    expect(await row(HUGR_NAME)).toMatchObject({ name: HUGR_NAME, path: webDsn, prefix: "wa" });
    expect(await servedEverywhere({ field: "wa_events" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);
    const secret = await getJson<{ metadata: { ownerReferences?: { name: string }[] } }>(env, [
      "secret",
      `${resourceName}-dsn`,
      "-n",
      NAMESPACE,
    ]);
    expect(secret?.metadata.ownerReferences).toMatchObject([{ name: resourceName }]);
    const all = await getJson<{ items: HugrDataSource[] }>(env, ["hds", "-n", NAMESPACE]);
    expect(all?.items.map((s) => s.metadata.name)).toEqual([resourceName]);
  });

  it("update_data_sources by the hugr name changes that resource", async () => {
    const body = await gql(UPDATE_DATA_SOURCE, {
      name: HUGR_NAME,
      data: { description: "Web analytics v2" },
    });
    expect(errorsOf(body)).toEqual([]);
    expect((await hds(resourceName))?.spec.description).toBe("Web analytics v2");
    expect((await row(HUGR_NAME))?.["description"]).toBe("Web analytics v2");
    const all = await getJson<{ items: HugrDataSource[] }>(env, ["hds", "-n", NAMESPACE]);
    expect(all?.items).toHaveLength(1);
  });

  it("load_data_source reloads on every node when only the catalog file changed", async () => {
    const rowBefore = await row(HUGR_NAME);
    const generation = (await hds(resourceName))?.metadata.generation;
    await writeFile(join(catalogDir, "web.graphql"), renamedSdl("visits"));
    // The nodes serve what they loaded until they are told to load again.
    expect(await servedEverywhere({ field: "wa_events" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);

    const body = await gql(LOAD_DATA_SOURCE(HUGR_NAME));
    expect(errorsOf(body)).toEqual([]);
    expect(JSON.stringify(body)).toContain('"success":true');
    expect(await servedEverywhere({ field: "wa_visits" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);
    const after = await hds(resourceName);
    expect(after?.metadata.generation).toBe(generation);
    expect(after?.status?.observedReloadRequest).toBe(
      after?.metadata.annotations?.["hugr.io/reload-request"],
    );
    expect(await row(HUGR_NAME)).toEqual(rowBefore);

    // Each call reloads again, also without any change in between.
    await writeFile(join(catalogDir, "web.graphql"), renamedSdl("sessions"));
    expect(JSON.stringify(await gql(LOAD_DATA_SOURCE(HUGR_NAME)))).toContain('"success":true');
    expect(await servedEverywhere({ field: "wa_sessions" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);
  });

  it("records the Events its Ready reasons promise", async () => {
    const loaded = await eventWith("HugrDataSource", resourceName, "Loaded");
    expect(loaded).toMatchObject({ type: "Normal", note: "loaded on 2 of 2 ready nodes" });
    const shown = JSON.stringify(await eventsAbout("HugrDataSource", resourceName));
    expect(shown).not.toContain(WEB_PASSWORD);
  });
});

describe("two HugrDataSources naming one data source", () => {
  const winner = resourceNameFor(HUGR_NAME);
  const later = (name: string): Record<string, unknown> => ({
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrDataSource",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      clusterRef: { name: "demo" },
      name: HUGR_NAME,
      type: "postgres",
      prefix: "later",
      path: eventsUrl,
      catalogs: [{ name: "later_schema", type: "text", path: EVENTS_SDL }],
    },
  });

  it("reports the later one as NameConflict, with an Event, and applies nothing of it", async () => {
    await apply(later("webstats"));
    const conflict = await waitForValue(
      "webstats NameConflict",
      () => hds("webstats"),
      (o) => readyOf(o)?.reason === "NameConflict",
    );
    expect(readyOf(conflict)).toMatchObject({
      status: "False",
      observedGeneration: conflict.metadata.generation,
    });
    expect(readyOf(conflict)?.message).toContain(`served by HugrDataSource '${winner}'`);
    const event = await eventWith("HugrDataSource", "webstats", "NameConflict");
    expect(event).toMatchObject({ type: "Warning", note: readyOf(conflict)?.message });
    expect(await row(HUGR_NAME)).toMatchObject({ path: webDsn, prefix: "wa" });
    expect(await servedEverywhere({ field: "later_events" })).not.toEqual([EVENTS_ROWS, EVENTS_ROWS]);
    expect(readyOf(await hds(winner))?.status).toBe("True");
  });

  it("deleting the later one leaves the source to the first", async () => {
    await kubectlOk(env, ["delete", "hds", "webstats", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await row(HUGR_NAME)).toMatchObject({ path: webDsn, prefix: "wa" });
    expect(await servedEverywhere({ field: "wa_sessions" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);
  });

  it("deleting the first hands the source to the next, which loads its own definition", async () => {
    await apply(later("webstats"));
    await waitForValue(
      "webstats NameConflict",
      () => hds("webstats"),
      (o) => readyOf(o)?.reason === "NameConflict",
    );
    const body = await gql(DELETE_DATA_SOURCE, { name: HUGR_NAME });
    expect(errorsOf(body)).toEqual([]);
    expect(await hds(winner)).toBeUndefined();
    await eventWith("HugrDataSource", winner, "Deleting");
    const next = await waitForValue("webstats Ready", () => hds("webstats"), settled("attached"));
    expect(readyOf(next)?.reason).toBe("Loaded");
    expect(await row(HUGR_NAME)).toMatchObject({ path: eventsUrl, prefix: "later" });
    expect(await servedEverywhere({ field: "later_events" })).toEqual([EVENTS_ROWS, EVENTS_ROWS]);
    await kubectlOk(env, ["delete", "hds", "webstats", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await row(HUGR_NAME)).toBeUndefined();
  });
});

describe("a HugrObjectStorage", () => {
  it("records an Event for each reason it reports, and for its deletion", async () => {
    await apply({
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrObjectStorage",
      metadata: { name: "minio", namespace: NAMESPACE },
      spec: {
        clusterRef: { name: "demo" },
        type: "s3",
        scope: "my-bucket",
        endpoint: "http://minio:9000",
        credentialsSecretRef: { name: "minio-credentials", keyIDKey: "key", secretKey: "secret" },
      },
    });
    const missing = await eventWith("HugrObjectStorage", "minio", "SecretNotFound");
    expect(missing).toMatchObject({
      type: "Warning",
      note: "spec.credentialsSecretRef: Secret 'minio-credentials' not found",
    });
    // Labelled, so the operator notices the Secret at once instead of at the next retry.
    await apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "minio-credentials", namespace: NAMESPACE, labels: { "hugr.io/reload": "true" } },
      stringData: { key: "AKIAEXAMPLEKEY", secret: "storage-secret-5d1" },
    });
    const registered = await eventWith("HugrObjectStorage", "minio", "Registered");
    expect(registered).toMatchObject({ type: "Normal", note: "registered on 2 of 2 ready nodes" });
    await kubectlOk(env, ["delete", "hos", "minio", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await eventWith("HugrObjectStorage", "minio", "Deleting")).toMatchObject({ type: "Normal" });
    expect(JSON.stringify(await eventsAbout("HugrObjectStorage", "minio"))).not.toContain(
      "storage-secret-5d1",
    );
  });
});

describe("deleting a HugrCluster", () => {
  it("removes its nodes' rows from its core database", async () => {
    const cluster = await getJson<HugrCluster>(env, ["hugrcluster", "demo", "-n", NAMESPACE]);
    expect(cluster?.metadata.finalizers).toEqual(["hugr.io/cleanup"]);
    expect(await clusterNodeRows("hugr/demo")).toEqual(PODS.map((p) => p.name));
    await kubectlOk(env, ["delete", "hugrcluster", "demo", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await clusterNodeRows("hugr/demo")).toEqual([]);
  });

  it("completes when its core database cannot be reached, and says what it left", async () => {
    const port = await freePort(); // nothing listens there
    await kubectlOk(env, [
      "create",
      "secret",
      "generic",
      "unreachable-db",
      "-n",
      NAMESPACE,
      `--from-literal=url=postgres://hugr:db-pw-93a@127.0.0.1:${port}/hugr`,
    ]);
    await apply({
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrCluster",
      metadata: { name: "unreachable", namespace: NAMESPACE },
      spec: {
        image: "ghcr.io/example/hugr-worker:1.0.0",
        coreDB: { urlSecretRef: { name: "unreachable-db", key: "url" } },
      },
    });
    await waitForValue(
      "the finalizer",
      () => getJson<HugrCluster>(env, ["hugrcluster", "unreachable", "-n", NAMESPACE]),
      (o) => o.metadata.finalizers?.includes("hugr.io/cleanup") ?? false,
    );
    await kubectlOk(env, [
      "delete",
      "hugrcluster",
      "unreachable",
      "-n",
      NAMESPACE,
      "--wait=true",
      "--timeout=30s",
    ]);
    const events = await waitForValue(
      "the Event of the deletion",
      () => eventsAbout("HugrCluster", "unreachable"),
      (items) => items.some((e) => e.note?.startsWith("deleted, but its nodes stay") ?? false),
    );
    const left = events.find((e) => e.note?.startsWith("deleted, but its nodes stay"));
    expect(left).toMatchObject({ type: "Warning", reason: "CoreDatabaseUnreachable" });
    expect(JSON.stringify(events)).not.toContain("db-pw-93a");
  });
});
