/**
 * HugrDataSource and HugrObjectStorage on a real kube-apiserver: the operator (as its ServiceAccount)
 * writes each data source's row into its cluster's core database, loads it on every work node (real
 * processes started with the rendered pod environment) and reports per-node truth in status; the
 * GraphQL mutations of a worker are mirrored into the same resources. The data sources are real: the
 * database `events` (e2e/scenarios/events-source.ts) on the harness PostgreSQL, which also holds the
 * core database; the roles whose DSNs carry a password log in with it (scram), so it must be right.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LOAD_DATA_SOURCE,
  REGISTER_STORAGE_VARIABLES,
  REGISTER_STORAGE_WITH_VARIABLES,
  UNLOAD_DATA_SOURCE,
  UNREGISTER_STORAGE,
} from "../../e2e/cluster/reference-cluster-queries.js";
import { eventually, freePort, graphql, type RunningProcess } from "../../e2e/harness/processes.js";
import {
  createEventsDatabase,
  createEventsRole,
  EVENTS_ROWS,
  EVENTS_SDL,
  eventsIn,
  eventsQuery,
  type EventsField,
  rotatePassword,
  withCredentials,
} from "../../e2e/scenarios/events-source.js";
import {
  ADD_DATA_SOURCE,
  DELETE_DATA_SOURCE,
  UPDATE_DATA_SOURCE,
} from "../../worker/test/reference-queries.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import type { Condition, HugrDataSource, HugrObjectStorage } from "../src/api/v1alpha1/index.js";
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
  startRenderedWorker,
  waitForValue,
} from "./harness/operator.js";

const NAMESPACE = "hugr";
const CLUSTER = { namespace: NAMESPACE, name: "demo" };
const PODS: FakePod[] = [
  { name: "demo-5c8d-0", ip: "127.0.0.31" },
  { name: "demo-5c8d-1", ip: "127.0.0.32" },
];

/** The passwords of the roles `reporting` (before and after its rotation) and `web`. */
const REPORTING_PASSWORD = "s3cr3t-pw";
const ROTATED_PASSWORD = "n3w-pw";
const WEB_PASSWORD = "pw-0f3c9a";

let env: Envtest;
let pg: PostgresInstance;
let sql: postgres.Sql;
/** The database `events`, as the trusted superuser: no password. */
let eventsUrl: string;
let reportingDsn: string;
let webDsn: string;
let operator: RunningProcess;
const workers = new Map<string, RunningProcess>();

const apply = (object: unknown, fieldManager?: string): Promise<string> =>
  applyObject(env, object, fieldManager);

/** The catalogs of a data source serving the database `events`. */
const eventsCatalogs = (name: string): { name: string; type: string; path: string }[] => [
  { name, type: "text", path: EVENTS_SDL },
];

function dataSource(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrDataSource",
    metadata: { name, namespace: NAMESPACE },
    spec: { clusterRef: { name: "demo" }, type: "postgres", ...spec },
  };
}

const readyOf = (o: { status?: { conditions?: Condition[] } } | undefined): Condition | undefined =>
  o?.status?.conditions?.find((c) => c.type === "Ready");

const hds = (name: string): Promise<HugrDataSource | undefined> =>
  getJson<HugrDataSource>(env, ["hds", name, "-n", NAMESPACE]);
const hos = (name: string): Promise<HugrObjectStorage | undefined> =>
  getJson<HugrObjectStorage>(env, ["hos", name, "-n", NAMESPACE]);

/** Ready=True for the current generation, with every node in `state`. */
/** A generic Secret in the test namespace with the given keys. */
async function createSecret(name: string, values: Record<string, string>): Promise<void> {
  const literals = Object.entries(values).map(([key, value]) => `--from-literal=${key}=${value}`);
  await kubectlOk(env, ["create", "secret", "generic", name, "-n", NAMESPACE, ...literals]);
}

/**
 * Everything a user or an operator can read about a resource: its YAML, the namespace's Events, and
 * the operator's and every node's log, for checks that a secret appears in none of it.
 */
async function everythingShown(kind: "hds" | "hos", name: string): Promise<string> {
  return [
    await kubectlOk(env, ["get", kind, name, "-n", NAMESPACE, "-o", "yaml"]),
    await kubectlOk(env, ["get", "events", "-n", NAMESPACE, "-o", "yaml"]),
    operator.output(),
    ...[...workers.values()].map((w) => w.output()),
  ].join("\n");
}

function settled(state: string) {
  return (o: HugrDataSource | HugrObjectStorage): boolean =>
    readyOf(o)?.status === "True" &&
    readyOf(o)?.observedGeneration === o.metadata.generation &&
    (o.status?.nodes ?? []).length === PODS.length &&
    (o.status?.nodes ?? []).every((n) => n.status === state);
}

async function row(name: string): Promise<Record<string, unknown> | undefined> {
  const rows =
    await sql`SELECT name, type, path, description, disabled FROM data_sources WHERE name = ${name}`;
  return rows[0];
}

const worker = (): RunningProcess => workers.get(PODS[0]!.name)!;

/** The rows of `events` a node serves where the data source puts them. */
async function servedEvents(node: RunningProcess, where: EventsField): Promise<unknown> {
  const { body } = await graphql(node.url, eventsQuery(where));
  expect(errorsOf(body)).toEqual([]);
  return eventsIn((body as { data?: unknown }).data, where);
}

/** Every node serves the rows of `events` where the data source puts them. */
async function expectServedEverywhere(where: EventsField): Promise<void> {
  for (const node of workers.values()) expect(await servedEvents(node, where)).toEqual(EVENTS_ROWS);
}

beforeAll(async () => {
  [env, pg] = await Promise.all([startEnvtest(), startPostgres()]);
  sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
  eventsUrl = await createEventsDatabase(pg, "events");
  reportingDsn = await createEventsRole(pg, eventsUrl, "reporting", REPORTING_PASSWORD);
  webDsn = await createEventsRole(pg, eventsUrl, "web", WEB_PASSWORD);
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
});

describe("a HugrDataSource applied with kubectl", () => {
  it("writes its row, loads it on every node and reports each node in status", async () => {
    await apply(
      dataSource("analytics", {
        path: eventsUrl,
        description: "Analytics",
        catalogs: eventsCatalogs("analytics_schema"),
      }),
    );
    const ready = await waitForValue("analytics Ready", () => hds("analytics"), settled("attached"));
    expect(ready.status).toMatchObject({ loaded: 2, total: 2 });
    expect(ready.metadata.finalizers).toEqual(["hugr.io/cleanup"]);
    expect(await row("analytics")).toEqual({
      name: "analytics",
      type: "postgres",
      path: eventsUrl,
      description: "Analytics",
      disabled: false,
    });
    await expectServedEverywhere({ field: "events" });
    const table = await kubectlOk(env, ["get", "hds", "analytics", "-n", NAMESPACE]);
    expect(table.split("\n")[1]).toMatch(/^analytics\s+demo\s+postgres\s+2\s+2\s+True\s+/);
  });

  it("follows a kubectl update: the row changes and the nodes reload it", async () => {
    await kubectlOk(env, [
      "patch",
      "hds",
      "analytics",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"spec":{"description":"Analytics v2"}}',
    ]);
    await waitForValue("the new generation reconciled", () => hds("analytics"), settled("attached"));
    expect((await row("analytics"))?.["description"]).toBe("Analytics v2");
    await expectServedEverywhere({ field: "events" });
  });

  it("reads a connection string with a password from its Secret and never shows it", async () => {
    await createSecret("reporting-dsn", { url: reportingDsn });
    await apply(
      dataSource("reporting", {
        prefix: "reporting",
        pathSecretRef: { name: "reporting-dsn", key: "url" },
        catalogs: eventsCatalogs("reporting_schema"),
      }),
    );
    await waitForValue("reporting Ready", () => hds("reporting"), settled("attached"));
    expect((await row("reporting"))?.["path"]).toBe(reportingDsn);
    await expectServedEverywhere({ field: "reporting_events" });
    expect(await everythingShown("hds", "reporting")).not.toContain(REPORTING_PASSWORD);
  });

  it("picks up a rotated DSN at once when its Secret carries hugr.io/reload=true", async () => {
    // From now on the old password is refused, and the nodes' sessions with it are gone.
    await rotatePassword(pg, "reporting", ROTATED_PASSWORD);
    const rotated = withCredentials(eventsUrl, "reporting", ROTATED_PASSWORD);
    await kubectlOk(env, ["label", "secret", "reporting-dsn", "-n", NAMESPACE, "hugr.io/reload=true"]);
    const patch = JSON.stringify({ stringData: { url: rotated } });
    await kubectlOk(env, ["patch", "secret", "reporting-dsn", "-n", NAMESPACE, "--type=merge", "-p", patch]);
    await eventually(
      async () => (await row("reporting"))?.["path"] === rotated,
      10_000,
      "the rotated DSN in the row",
    );
    await waitForValue("reloaded everywhere", () => hds("reporting"), settled("attached"));
    // Only a pool opened with the new password can answer.
    await eventually(
      async () => {
        await expectServedEverywhere({ field: "reporting_events" });
        return true;
      },
      10_000,
      "every node serving reporting_events with the rotated password",
    );
  });

  it("unloads a disabled data source everywhere and loads it again when enabled", async () => {
    await kubectlOk(env, [
      "patch",
      "hds",
      "reporting",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"spec":{"disabled":true}}',
    ]);
    const off = await waitForValue("reporting unloaded", () => hds("reporting"), settled("detached"));
    expect(readyOf(off)?.reason).toBe("Unloaded");
    expect(off.status).toMatchObject({ loaded: 0, total: 2 });
    await kubectlOk(env, [
      "patch",
      "hds",
      "reporting",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"spec":{"disabled":false}}',
    ]);
    await waitForValue("reporting loaded again", () => hds("reporting"), settled("attached"));
    await expectServedEverywhere({ field: "reporting_events" });
  });

  it("converges a node that was killed and restarted", async () => {
    const pod = PODS[1]!;
    await workers.get(pod.name)!.stop("SIGKILL");
    await waitForValue(
      "a node missing",
      () => hds("analytics"),
      (o) => (o.status?.total ?? 0) < 2,
    );
    workers.set(pod.name, await startRenderedWorker(env, CLUSTER, pod));
    const back = await waitForValue("both nodes attached again", () => hds("analytics"), settled("attached"));
    expect(back.status).toMatchObject({ loaded: 2, total: 2 });
    expect(await servedEvents(workers.get(pod.name)!, { field: "events" })).toEqual(EVENTS_ROWS);
  });

  it("reports the load failure of each node when its database cannot be reached, the password unseen", async () => {
    const port = await freePort(); // nothing listens there
    const password = "unseen-pw-4471";
    const dsn = withCredentials(`postgres://127.0.0.1:${port}/events`, "reporting", password);
    await createSecret("broken-dsn", { url: dsn });
    await apply(
      dataSource("broken", {
        prefix: "broken",
        pathSecretRef: { name: "broken-dsn", key: "url" },
        catalogs: eventsCatalogs("broken_schema"),
      }),
    );
    const failed = await waitForValue(
      "broken reports its load failure",
      () => hds("broken"),
      (o) =>
        readyOf(o)?.reason === "LoadFailed" &&
        readyOf(o)?.observedGeneration === o.metadata.generation &&
        (o.status?.nodes ?? []).length === PODS.length,
    );
    expect(readyOf(failed)?.status).toBe("False");
    expect(failed.status).toMatchObject({ loaded: 0, total: 2 });
    const cause = `cannot connect to the data source: connection refused (127.0.0.1:${port})`;
    for (const pod of PODS) expect(readyOf(failed)?.message).toContain(`${pod.name}: `);
    expect(readyOf(failed)?.message).toContain(cause);
    for (const node of failed.status?.nodes ?? []) expect(node.error).toContain(cause);
    expect(await everythingShown("hds", "broken")).not.toContain(password);
    await kubectlOk(env, ["delete", "hds", "broken", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await row("broken")).toBeUndefined();
  });

  it("unloads it everywhere and removes its row when deleted (finalizer)", async () => {
    await kubectlOk(env, ["delete", "hds", "reporting", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await row("reporting")).toBeUndefined();
    for (const pod of PODS) {
      const answer = await fetch(`http://${pod.ip}:15000/ready`);
      expect(answer.status).toBe(200);
    }
  });
});

/** A GraphQL answer's errors, as `code: message` lines (empty when there were none). */
function errorsOf(body: unknown): string[] {
  const errors = (body as { errors?: { message: string; extensions?: { code?: string } }[] }).errors ?? [];
  return errors.map((e) => `${e.extensions?.code ?? ""}: ${e.message}`);
}

async function gql(query: string, variables?: Record<string, unknown>): Promise<unknown> {
  return (await graphql(worker().url, query, variables)).body;
}

describe("the GraphQL door into the same resources", () => {
  /** The input of `web`: its DSN is known once the database exists. */
  const webData = (): Record<string, unknown> => ({
    name: "web",
    type: "postgres",
    prefix: "web",
    description: "Web analytics",
    as_module: true,
    path: webDsn,
    catalogs: [{ name: "web_schema", type: "text", description: "", path: EVENTS_SDL }],
  });

  it("insert_data_sources creates the HugrDataSource, the password in a Secret it owns", async () => {
    const body = await gql(ADD_DATA_SOURCE, { data: webData() });
    expect(errorsOf(body)).toEqual([]);
    expect(JSON.stringify(body)).toContain(withCredentials(eventsUrl, "web", "***"));
    const created = await waitForValue("web Ready", () => hds("web"), settled("attached"));
    expect(created.spec).toMatchObject({
      prefix: "web",
      asModule: true,
      pathSecretRef: { name: "web-dsn", key: "url" },
    });
    expect(created.spec.path).toBeUndefined();
    const secret = await getJson<{ metadata: { ownerReferences?: { kind: string; uid: string }[] } }>(env, [
      "secret",
      "web-dsn",
      "-n",
      NAMESPACE,
    ]);
    expect(secret?.metadata.ownerReferences).toMatchObject([
      { kind: "HugrDataSource", uid: created.metadata.uid },
    ]);
    expect((await row("web"))?.["path"]).toBe(webDsn);
    await expectServedEverywhere({ field: "events", module: "web" });
    expect(await everythingShown("hds", "web")).not.toContain(WEB_PASSWORD);
  });

  it("update_data_sources changes the resource; a kubectl change shows in GraphQL", async () => {
    const updated = await gql(UPDATE_DATA_SOURCE, { name: "web", data: { description: "Web v2" } });
    expect(errorsOf(updated)).toEqual([]);
    expect((await hds("web"))?.spec.description).toBe("Web v2");
    await kubectlOk(env, [
      "patch",
      "hds",
      "web",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"spec":{"readOnly":true}}',
    ]);
    await waitForValue(
      "the row follows",
      async () => row("web"),
      () => true,
    );
    await eventually(
      async () =>
        JSON.stringify(
          await gql('query { core { data_sources(filter: {name: {eq: "web"}}) { read_only } } }'),
        ).includes('"read_only":true'),
      10_000,
      "read_only in GraphQL",
    );
  });

  it("unload_data_source and load_data_source switch spec.disabled and answer with the reconcile's result", async () => {
    const unloaded = await gql(UNLOAD_DATA_SOURCE("web"));
    expect(JSON.stringify(unloaded)).toContain('"success":true');
    expect((await hds("web"))?.spec.disabled).toBe(true);
    expect(readyOf(await hds("web"))?.reason).toBe("Unloaded");
    const loaded = await gql(LOAD_DATA_SOURCE("web"));
    expect(JSON.stringify(loaded)).toContain('"success":true');
    expect((await hds("web"))?.spec.disabled).toBe(false);
    expect((await hds("web"))?.status).toMatchObject({ loaded: 2, total: 2 });
    await expectServedEverywhere({ field: "events", module: "web" });
  });

  it("refuses a GraphQL change to a field GitOps owns, and changes nothing", async () => {
    const gitops = dataSource("web", { description: "Owned by GitOps" });
    await kubectlOk(
      env,
      ["apply", "--server-side", "--field-manager=gitops", "--force-conflicts", "-f", "-"],
      JSON.stringify({
        ...gitops,
        spec: { clusterRef: { name: "demo" }, type: "postgres", description: "Owned by GitOps" },
      }),
    );
    await waitForValue(
      "the row follows GitOps",
      () => row("web"),
      (r) => r["description"] === "Owned by GitOps",
    );
    const refused = await gql(UPDATE_DATA_SOURCE, {
      name: "web",
      data: { description: "Changed in GraphQL" },
    });
    expect(errorsOf(refused).join("\n")).toMatch(/^MANAGEMENT_CONFLICT: .*conflict.*gitops/im);
    expect((await hds("web"))?.spec.description).toBe("Owned by GitOps");
    expect((await row("web"))?.["description"]).toBe("Owned by GitOps");
  });

  it.each([
    ["an existing name", ADD_DATA_SOURCE, { name: "analytics" }, /already exists/],
    ["an invalid prefix", ADD_DATA_SOURCE, { name: "bad", prefix: "no-dashes" }, /prefix/],
    ["an unknown type", ADD_DATA_SOURCE, { name: "bad", type: "oracle" }, /unknown data source type/],
    ["loading an unknown data source", LOAD_DATA_SOURCE("nope"), undefined, /MANAGEMENT_NOT_FOUND/],
  ])("refuses %s with a clear error, creating nothing", async (_case, query, changes, message) => {
    // `changes` to the input of `web` to insert; none for a function.
    const body = await gql(query, changes && { data: { ...webData(), ...changes } });
    expect(errorsOf(body).join("\n")).toMatch(message);
    expect(await hds("bad")).toBeUndefined();
    expect(await hds("nope")).toBeUndefined();
  });

  it.each([
    [
      "moving it to another cluster",
      { spec: { clusterRef: { name: "other" } } },
      /clusterRef.name is immutable/,
    ],
    [
      "both path and pathSecretRef",
      { spec: { path: "postgres://x@db/x" } },
      /exactly one of path and pathSecretRef/,
    ],
    [
      "an unknown catalog type",
      { spec: { catalogs: [{ name: "c", type: "zip", path: "/c" }] } },
      /catalogs\[0\]\.type/,
    ],
  ])("the apiserver refuses %s through kubectl, and nothing changes", async (_case, patch, message) => {
    const before = await hds("web");
    const result = await env.kubectl([
      "patch",
      "hds",
      "web",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      JSON.stringify(patch),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect((await hds("web"))?.metadata.generation).toBe(before?.metadata.generation);
  });

  // Every form of a secret in a DSN (common/src/secrets/dsn.ts): the mirror keeps it in a Secret,
  // and it shows nowhere: not in the GraphQL answer, the spec, the status, Events or any log.
  it.each([
    ["a query parameter", (port: number) => `postgres://u@127.0.0.1:${port}/db?password=qp-51ac`, "qp-51ac"],
    [
      "a query parameter in another case",
      (port: number) => `postgres://u@127.0.0.1:${port}/db?sslmode=disable&PassWord=qc-77e1`,
      "qc-77e1",
    ],
    ["sslpassword", (port: number) => `postgres://u@127.0.0.1:${port}/db?sslpassword=sp-0b2d`, "sp-0b2d"],
    [
      "a libpq key=value DSN, quoted with a space",
      (port: number) => `host=127.0.0.1 port=${port} user=u password='kv 93f0' dbname=db`,
      "kv 93f0",
    ],
    ["libpq's pwd", (port: number) => `host=127.0.0.1 port=${port} pwd=pw-6d1e dbname=db`, "pw-6d1e"],
  ])(
    "insert_data_sources with a secret in %s keeps it in a Secret and shows it nowhere",
    async (_case, dsnAt, secret) => {
      const name = `sec${secret.replace(/[^a-z0-9]/gu, "")}`; // a resource name and an identifier
      const path = dsnAt(await freePort());
      const body = await gql(ADD_DATA_SOURCE, {
        data: {
          name,
          type: "postgres",
          path,
          catalogs: [{ name: `${name}_schema`, type: "text", path: EVENTS_SDL }],
        },
      });
      expect(errorsOf(body)).toEqual([]);
      const created = await waitForValue(
        `${name} reconciled`,
        () => hds(name),
        (o) => readyOf(o) !== undefined,
      );
      expect(created.spec.pathSecretRef).toEqual({ name: `${name}-dsn`, key: "url" });
      expect(created.spec.path).toBeUndefined();
      expect((await row(name))?.["path"]).toBe(path);
      const shown = `${JSON.stringify(body)}\n${await everythingShown("hds", name)}`;
      expect(shown).not.toContain(secret);
      expect(errorsOf(await gql(DELETE_DATA_SOURCE, { name }))).toEqual([]);
    },
  );

  it("delete_data_sources deletes the resource, the row and the load on every node", async () => {
    const deleted = await gql(DELETE_DATA_SOURCE, { name: "web" });
    expect(errorsOf(deleted)).toEqual([]);
    expect(await hds("web")).toBeUndefined();
    expect(await row("web")).toBeUndefined();
  });

  it("register_object_storage creates a HugrObjectStorage; unregister deletes it", async () => {
    const registered = await gql(REGISTER_STORAGE_WITH_VARIABLES, REGISTER_STORAGE_VARIABLES);
    expect(errorsOf(registered)).toEqual([]);
    expect(JSON.stringify(registered)).toContain('"success":true');
    const created = await hos("minio-storage");
    expect(created?.spec).toMatchObject({
      scope: "my-bucket",
      credentialsSecretRef: { name: "minio-storage-credentials" },
    });
    expect(created?.status).toMatchObject({ registered: 2, total: 2 });
    const unregistered = await gql(UNREGISTER_STORAGE);
    expect(JSON.stringify(unregistered)).toContain('"success":true');
    expect(await hos("minio-storage")).toBeUndefined();
  });
});

describe("a HugrObjectStorage", () => {
  it("registers the storage on every node, credentials never visible", async () => {
    await createSecret("minio-credentials", { key: "AKIAEXAMPLEKEY", secret: "very-secret-value" });
    await apply({
      apiVersion: "hugr.io/v1alpha1",
      kind: "HugrObjectStorage",
      metadata: { name: "minio", namespace: NAMESPACE },
      spec: {
        clusterRef: { name: "demo" },
        type: "s3",
        scope: "my-bucket",
        endpoint: "http://minio:9000",
        useSSL: false,
        credentialsSecretRef: { name: "minio-credentials", keyIDKey: "key", secretKey: "secret" },
      },
    });
    const ready = await waitForValue("minio Ready", () => hos("minio"), settled("registered"));
    expect(ready.status).toMatchObject({ registered: 2, total: 2 });
    const storages = await graphql(
      worker().url,
      "query { function { core { cluster { storages { node name Parameters } } } } }",
    );
    expect(JSON.stringify(storages.body)).toContain('"name":"minio"');
    const shown = `${JSON.stringify(storages.body)}\n${await everythingShown("hos", "minio")}`;
    expect(shown).not.toContain("very-secret-value");
  });

  it("unregisters it everywhere when deleted", async () => {
    await kubectlOk(env, ["delete", "hos", "minio", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    const storages = await graphql(
      worker().url,
      "query { function { core { cluster { storages { node name } } } } }",
    );
    expect(JSON.stringify(storages.body)).not.toContain('"name":"minio"');
  });
});

describe("deletion when the cluster is gone", () => {
  it("still completes", async () => {
    await apply(
      dataSource("orphan", { path: eventsUrl, prefix: "orphan", catalogs: eventsCatalogs("orphan") }),
    );
    await waitForValue("orphan Ready", () => hds("orphan"), settled("attached"));
    await kubectlOk(env, ["delete", "hugrcluster", "demo", "-n", NAMESPACE, "--wait=true"]);
    await kubectlOk(env, ["delete", "hds", "orphan", "-n", NAMESPACE, "--wait=true", "--timeout=30s"]);
    expect(await hds("orphan")).toBeUndefined();
  });
});
