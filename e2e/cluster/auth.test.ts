import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadableSource } from "../../worker/test/harness/loadable-source.js";
import { startPostgres, type PostgresInstance } from "../../worker/test/harness/postgres.js";
import type { GraphQLResponse } from "../../worker/test/harness/worker.js";
import { ADD_DATA_SOURCE } from "../../worker/test/reference-queries.js";
import {
  eventually,
  graphql,
  startClusterWorker,
  startManagement,
  type RunningProcess,
} from "../harness/processes.js";
import { LOAD_DATA_SOURCE } from "./reference-cluster-queries.js";

/**
 * Authentication in a standalone cluster, as separate processes: a management node with
 * AUTH_CONFIG_FILE (hugr's YAML auth file: a secret key, a static API key, a JWT provider) and two
 * work nodes behind it, each addressed directly, on a shared PostgreSQL core database. The work nodes
 * hold no auth setting of their own: they enforce what the management node sends them.
 *
 * - both nodes apply the same rules to anonymous requests, the secret key, the static key, tokens;
 * - an edited auth file reaches both nodes without a restart (the management node polls the file,
 *   the nodes receive the new settings with their next heartbeat);
 * - a role or permission written through one node applies on the other at once: with the very next
 *   request, or a few milliseconds later (every node's read cache of the core tables is dropped by
 *   PostgreSQL NOTIFY, whose delivery races the client's next request; never by the cache's TTL);
 * - no secret key, API key or token shows in any process's log or any answer.
 */
const CLUSTER_SECRET = `cluster-${randomBytes(12).toString("hex")}`;
const SECRET_KEY = `sk-${randomBytes(16).toString("hex")}`;
const WRONG_SECRET_KEY = `sk-${randomBytes(16).toString("hex")}`;
const REPORTING_KEY = `rk-${randomBytes(16).toString("hex")}`;
/** The reporting key's value after the auth file is edited. */
const REPORTING_KEY_ROTATED = `rk2-${randomBytes(16).toString("hex")}`;
/** A key the edited auth file adds. */
const OPS_KEY = `ok-${randomBytes(16).toString("hex")}`;
const OPS_HEADER = "x-hugr-ops-key";
const ISSUER = "https://id.e2e.example";
const SIGNING = generateKeyPairSync("ec", { namedCurve: "P-256" });
/** A key pair the nodes do not know. */
const STRANGER = generateKeyPairSync("ec", { namedCurve: "P-256" });
/** The management node's CHECK: heartbeats come every second (the minimum). */
const CHECK_MS = 1_000;
/** How long an edited auth file may take to apply: a 2 s poll of the file, then a 1 s heartbeat. */
const AUTH_FILE_APPLIES_MS = 20_000;
/** The work node's read cache of the core tables keeps an answer this long (worker/src/server.ts). */
const CORE_READ_CACHE_TTL_MS = 1_000;
/** How long a change may take to reach another node's read cache: its notification's delivery. */
const NOTIFY_DELIVERY_MS = CORE_READ_CACHE_TTL_MS / 4;

const CORE_QUERY = "{ core { data_sources { name } } }";
const ME = "{ function { core { auth { me { role user_id user_name auth_type auth_provider } } } } }";
const INSERT_ROLE = `mutation($name: String!) { core { insert_roles(data: {name: $name}) { name } } }`;
const PERMIT = `mutation($data: role_permissions_mut_input_data!) {
  core { insert_role_permissions(data: $data) { role } } }`;
const UPDATE_PERMISSIONS = `mutation($filter: role_permissions_filter!, $data: role_permissions_mut_data!) {
  core { update_role_permissions(filter: $filter, data: $data) { role } } }`;
const DELETE_PERMISSIONS = `mutation($filter: role_permissions_filter!) {
  core { delete_role_permissions(filter: $filter) { role } } }`;
const UPDATE_ROLES = `mutation($filter: roles_filter!, $data: roles_mut_data!) {
  core { update_roles(filter: $filter, data: $data) { name } } }`;
const EVENTS = loadableSource("events");
/** A second data source, never loaded: a row filter on data_sources shows one of the two. */
const ARCHIVE = loadableSource("archive", { prefix: "arch" });

let pg: PostgresInstance;
let dir: string;
let authFilePath: string;
let management: RunningProcess;
let workers: RunningProcess[] = [];
/** Every response body, searched for secrets at the end. */
const bodies: string[] = [];

type Headers = Record<string, string>;
const ADMIN: Headers = { "x-hugr-secret-key": SECRET_KEY };
const apiKey = (key: string): Headers =>
  key === OPS_KEY ? { [OPS_HEADER]: key } : { "x-hugr-api-key": key };
/** Every token sent, searched for at the end. */
const sentTokens: string[] = [];
const bearer = (token: string): Headers => {
  sentTokens.push(token);
  return { authorization: `Bearer ${token}` };
};

interface Me {
  role: string;
  user_id: string;
  user_name: string;
  auth_type: string;
  auth_provider: string;
}

function authFile(options: { rotated: boolean }): string {
  const pem = SIGNING.publicKey.export({ type: "spki", format: "pem" }).toString().trim();
  const reporting = options.rotated ? REPORTING_KEY_ROTATED : REPORTING_KEY;
  return [
    `secret-key: ${SECRET_KEY}`,
    "api-keys:",
    "  reporting:",
    `    key: ${reporting}`,
    "    default-role: readonly",
    // Its own header: two static keys on one header are refused (hugr's would break each other).
    ...(options.rotated
      ? ["  ops:", `    key: ${OPS_KEY}`, `    header: ${OPS_HEADER}`, "    default-role: admin"]
      : []),
    "jwt:",
    "  corp:",
    `    issuer: ${ISSUER}`,
    "    public-key: |",
    ...pem.split("\n").map((line) => `      ${line}`),
    "",
  ].join("\n");
}

async function token(
  claims: Record<string, unknown>,
  options: { key?: KeyObject; issuer?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(options.issuer ?? ISSUER)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(options.key ?? SIGNING.privateKey);
}

/** The same token with its claims replaced and its signature kept. */
function tampered(jwt: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = jwt.split(".");
  const original = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...original, ...claims })).toString("base64url");
  return `${header}.${forged}.${signature}`;
}

async function ask<T = Record<string, unknown>>(
  node: RunningProcess,
  headers: Headers,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await graphql<T>(node.url, query, variables, headers);
  bodies.push(JSON.stringify(response.body));
  return response;
}

async function data<T = Record<string, unknown>>(
  node: RunningProcess,
  headers: Headers,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const { status, body } = await ask<T>(node, headers, query, variables);
  expect(body.errors, `${node.name}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  expect(status, node.name).toBe(200);
  return body.data as T;
}

async function me(node: RunningProcess, headers: Headers): Promise<Me> {
  return (await data<{ function: { core: { auth: { me: Me } } } }>(node, headers, ME)).function.core.auth.me;
}

/** The response's first error code (FORBIDDEN for a field the role may not use). */
function code(response: GraphQLResponse): string | undefined {
  return response.body.errors?.[0]?.extensions?.code;
}

function expectForbidden(node: RunningProcess, response: GraphQLResponse): void {
  expect(code(response), `${node.name}: ${JSON.stringify(response.body)}`).toBe("FORBIDDEN");
  expect(response.body.data ?? null, node.name).toBeNull();
}

function expectRefused(node: RunningProcess, response: GraphQLResponse, status: 401 | 403): void {
  expect(response.status, `${node.name}: ${JSON.stringify(response.body)}`).toBe(status);
  expect(response.body.data ?? null, node.name).toBeNull();
  expect(response.body.errors?.[0]?.message, node.name).toEqual(expect.any(String));
  expect(code(response), node.name).toEqual(expect.any(String));
}

/** Node 2's extra wait for a change made through node 1, per change: 0 when its very next answer showed it. */
const deliveries: number[] = [];

/**
 * Node 2's next answer, which must show a change just made through node 1. The notification that
 * drops node 2's read cache is sent at commit and travels apart from the answer of node 1, so in
 * about 1 in 40 changes (measured here) node 2's very next request comes first, by a few
 * milliseconds; it is then asked again for at most NOTIFY_DELIVERY_MS, far below the cache's TTL.
 */
async function onTwoAtOnce(
  read: () => Promise<GraphQLResponse>,
  shows: (response: GraphQLResponse) => boolean,
): Promise<GraphQLResponse> {
  let response = await read();
  if (shows(response)) {
    deliveries.push(0);
    return response;
  }
  const begin = Date.now();
  while (!shows(response) && Date.now() - begin < NOTIFY_DELIVERY_MS) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    response = await read();
  }
  deliveries.push(shows(response) ? Date.now() - begin : Number.POSITIVE_INFINITY);
  return response;
}

async function permit(node: RunningProcess, row: Record<string, unknown>): Promise<void> {
  await data(node, ADMIN, PERMIT, { data: { hidden: false, disabled: false, ...row } });
}

async function dataSourceNames(node: RunningProcess, headers: Headers): Promise<string[]> {
  const result = await data<{ core: { data_sources: { name: string }[] } }>(node, headers, CORE_QUERY);
  return result.core.data_sources.map((s) => s.name).sort();
}

async function startNode(name: string): Promise<RunningProcess> {
  return startClusterWorker(name, {
    management,
    secret: CLUSTER_SECRET,
    coreDb: pg.url,
    env: { LOG_LEVEL: "debug" },
  });
}

beforeAll(async () => {
  pg = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), "hugr-e2e-auth-"));
  authFilePath = join(dir, "auth.yaml");
  await writeFile(authFilePath, authFile({ rotated: false }));
  management = await startManagement({
    env: {
      CLUSTER_SECRET,
      CORE_DB_PATH: await pg.createDatabase("management"),
      AUTH_CONFIG_FILE: authFilePath,
      CHECK: `${CHECK_MS}ms`,
      TIMEOUT: "1s",
      LOG_LEVEL: "debug",
    },
  });
  workers = await Promise.all(["worker-1", "worker-2"].map(startNode));
  // A node is ready once it applied the cluster configuration, the authentication settings with it.
  for (const node of workers) expect((await me(node, ADMIN)).role, node.name).toBe("admin");
  const [first] = workers;
  await data(first!, ADMIN, ADD_DATA_SOURCE, { data: EVENTS.data });
  await data(first!, ADMIN, ADD_DATA_SOURCE, { data: ARCHIVE.data });
  const loaded = await data<{ function: { core: { cluster: { load_data_source: { success: boolean } } } } }>(
    first!,
    ADMIN,
    LOAD_DATA_SOURCE("events"),
  );
  expect(loaded.function.core.cluster.load_data_source.success).toBe(true);
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  await management?.stop("SIGKILL");
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("authentication in a standalone cluster: two work nodes enforce the management node's auth file", () => {
  it("anonymous requests have role public, which is refused the core module, on both nodes", async () => {
    for (const node of workers) {
      expect(await me(node, {}), node.name).toMatchObject({ role: "public", auth_type: "anonymous" });
      expectForbidden(node, await ask(node, {}, CORE_QUERY));
      expectForbidden(node, await ask(node, {}, INSERT_ROLE, { name: "intruder" }));
      expectForbidden(
        node,
        await ask(
          node,
          {},
          `mutation { function { core { load_data_source(name: "events") { success } } } }`,
        ),
      );
      // Not the core module: data sources stay open to public unless a permission says otherwise.
      expect(await data(node, {}, EVENTS.query), node.name).toEqual(EVENTS.answer);
    }
    expect(await dataSourceNames(workers[0]!, ADMIN)).toEqual(["archive", "events"]);
  });

  it("the secret key is admin on both nodes; a wrong one is 401", async () => {
    for (const node of workers) {
      expect(await me(node, ADMIN), node.name).toMatchObject({ role: "admin" });
      expect(await dataSourceNames(node, ADMIN), node.name).toEqual(["archive", "events"]);
      expectRefused(node, await ask(node, { "x-hugr-secret-key": WRONG_SECRET_KEY }, CORE_QUERY), 401);
    }
  });

  it("the static API key is readonly on both nodes: queries run, mutations are refused", async () => {
    for (const node of workers) {
      expect(await me(node, apiKey(REPORTING_KEY)), node.name).toMatchObject({
        role: "readonly",
        auth_type: "apiKey",
        auth_provider: "reporting",
      });
      expect(await data(node, apiKey(REPORTING_KEY), EVENTS.query), node.name).toEqual(EVENTS.answer);
      expectForbidden(node, await ask(node, apiKey(REPORTING_KEY), INSERT_ROLE, { name: "by-readonly" }));
      // readonly has no core module either (coredb migration 4).
      expectForbidden(node, await ask(node, apiKey(REPORTING_KEY), CORE_QUERY));
      expectRefused(node, await ask(node, apiKey(`${REPORTING_KEY}x`), EVENTS.query), 401);
    }
    const roles = await data<{ core: { roles: { name: string }[] } }>(
      workers[0]!,
      ADMIN,
      `{ core { roles(filter: {name: {eq: "by-readonly"}}) { name } } }`,
    );
    expect(roles.core.roles).toEqual([]);
  });

  it("a token of the JWT provider works on both nodes with its role claim; a tampered or foreign one is 401", async () => {
    const alice = await token({ sub: "alice", name: "Alice", "x-hugr-role": "admin" });
    const reader = await token({ sub: "bob", name: "Bob", "x-hugr-role": "readonly" });
    const foreign = await token({ sub: "eve", "x-hugr-role": "admin" }, { key: STRANGER.privateKey });
    const otherIssuer = await token(
      { sub: "eve", "x-hugr-role": "admin" },
      { issuer: "https://evil.example" },
    );
    for (const node of workers) {
      expect(await me(node, bearer(alice)), node.name).toEqual({
        role: "admin",
        user_id: "alice",
        user_name: "Alice",
        auth_type: "jwt",
        auth_provider: "corp",
      });
      expect(await dataSourceNames(node, bearer(alice)), node.name).toEqual(["archive", "events"]);
      expect((await me(node, bearer(reader))).role, node.name).toBe("readonly");
      expectForbidden(node, await ask(node, bearer(reader), CORE_QUERY));
      // bob's token, made to say admin: its signature no longer matches.
      expectRefused(
        node,
        await ask(node, bearer(tampered(reader, { "x-hugr-role": "admin" })), CORE_QUERY),
        401,
      );
      expectRefused(node, await ask(node, bearer(foreign), CORE_QUERY), 401);
      expectRefused(node, await ask(node, bearer(otherIssuer), CORE_QUERY), 401);
      expectRefused(node, await ask(node, bearer("not-a-jwt"), CORE_QUERY), 401);
    }
  });

  it("an edited auth file reaches both nodes without a restart: a new key works, the rotated one stops", async () => {
    const pids = workers.map((w) => w.child.pid);
    // Before the edit no provider reads the ops key's header: the request is anonymous.
    for (const node of workers) expectForbidden(node, await ask(node, apiKey(OPS_KEY), CORE_QUERY));
    await writeFile(authFilePath, authFile({ rotated: true }));
    await Promise.all(
      workers.map((node) =>
        eventually(
          async () => {
            const [ops, old] = await Promise.all([
              ask(node, apiKey(OPS_KEY), CORE_QUERY),
              ask(node, apiKey(REPORTING_KEY), EVENTS.query),
            ]);
            return ops.status === 200 && ops.body.errors === undefined && old.status === 401;
          },
          AUTH_FILE_APPLIES_MS,
          `${node.name} applies the edited auth file`,
        ),
      ),
    );
    for (const node of workers) {
      expect(await me(node, apiKey(OPS_KEY)), node.name).toMatchObject({
        role: "admin",
        auth_provider: "ops",
      });
      expect(await dataSourceNames(node, apiKey(OPS_KEY)), node.name).toEqual(["archive", "events"]);
      expect((await me(node, apiKey(REPORTING_KEY_ROTATED))).role, node.name).toBe("readonly");
      expectRefused(node, await ask(node, apiKey(REPORTING_KEY), EVENTS.query), 401);
      // The rest of the file still applies.
      expect((await me(node, ADMIN)).role, node.name).toBe("admin");
      expectForbidden(node, await ask(node, {}, CORE_QUERY));
    }
    expect(workers.map((w) => w.child.pid)).toEqual(pids);
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
    expect(management.output()).toContain("auth file changed");
  });

  it("a role and permissions written through one node apply on the other at once", async () => {
    const [one, two] = workers as [RunningProcess, RunningProcess];
    const auditor = bearer(await token({ sub: "carol", name: "Carol", "x-hugr-role": "auditor" }));
    const read = (headers: Headers = auditor): Promise<GraphQLResponse> => ask(two, headers, CORE_QUERY);
    const names = (response: GraphQLResponse): string[] | undefined =>
      (response.body.data as { core?: { data_sources?: { name: string }[] } } | null)?.core?.data_sources
        ?.map((s) => s.name)
        .sort();
    const allowed = (response: GraphQLResponse): boolean =>
      response.status === 200 && response.body.errors === undefined;
    const forbidden = (response: GraphQLResponse): boolean => code(response) === "FORBIDDEN";

    // A role that does not exist: 403 on node 2, which keeps that answer in its read cache.
    expectRefused(two, await read(), 403);
    await data(one, ADMIN, INSERT_ROLE, { name: "auditor" });
    expect(names(await onTwoAtOnce(read, allowed))).toEqual(["archive", "events"]);

    // A field disabled, then enabled and disabled again, through node 1, each time read on node 2 at
    // once. Each read on node 2 caches the role's permissions for CORE_READ_CACHE_TTL_MS: without
    // NOTIFY, the next cycle's read, that soon after, would be answered from that cache.
    await permit(one, {
      role: "auditor",
      type_name: "_module_core_query",
      field_name: "data_sources",
      disabled: true,
    });
    expectForbidden(two, await onTwoAtOnce(read, forbidden));
    for (let cycle = 0; cycle < 6; cycle++) {
      const disabled = cycle % 2 === 1;
      await data(one, ADMIN, UPDATE_PERMISSIONS, {
        filter: { role: { eq: "auditor" }, field_name: { eq: "data_sources" } },
        data: { disabled },
      });
      const response = await onTwoAtOnce(read, disabled ? forbidden : allowed);
      if (disabled) expectForbidden(two, response);
      else expect(names(response), JSON.stringify(response.body)).toEqual(["archive", "events"]);
    }
    await data(one, ADMIN, DELETE_PERMISSIONS, { filter: { role: { eq: "auditor" } } });
    expect(names(await onTwoAtOnce(read, allowed))).toEqual(["archive", "events"]);

    // A row filter on the data_sources table (every read of it), written through node 1: node 2's
    // next read is filtered, and follows the filter's change. Node 2 served this very query to the
    // role just before, unfiltered.
    await permit(one, {
      role: "auditor",
      type_name: "data-object:query",
      field_name: "data_sources",
      filter: { name: { eq: "events" } },
    });
    expect(names(await onTwoAtOnce(read, (r) => allowed(r) && names(r)?.length === 1))).toEqual(["events"]);
    expect(names(await read(ADMIN))).toEqual(["archive", "events"]);
    await data(one, ADMIN, UPDATE_PERMISSIONS, {
      filter: { role: { eq: "auditor" }, type_name: { eq: "data-object:query" } },
      data: { filter: { name: { eq: "archive" } } },
    });
    expect(names(await onTwoAtOnce(read, (r) => names(r)?.[0] === "archive"))).toEqual(["archive"]);

    // The role disabled through node 1: node 2 refuses its token at once.
    await data(one, ADMIN, UPDATE_ROLES, { filter: { name: { eq: "auditor" } }, data: { disabled: true } });
    expectRefused(two, await onTwoAtOnce(read, (r) => r.status === 403), 403);

    // What "at once" meant: the very next request, or a few milliseconds later (the notification's
    // delivery), always well within the read cache's TTL, so never thanks to its expiry.
    expect(Math.max(...deliveries), `delays: ${deliveries.join(", ")} ms`).toBeLessThan(NOTIFY_DELIVERY_MS);
  });

  it("no secret key, API key or token shows in any log line or error message", async () => {
    const logs = [management, ...workers].map((p) => p.output()).join("\n");
    expect(logs).toContain("authentication settings from the management node applied");
    expect(sentTokens.length).toBeGreaterThan(5);
    const secrets: [string, string][] = [
      ["the secret key", SECRET_KEY],
      ["the wrong secret key sent", WRONG_SECRET_KEY],
      ["the reporting key", REPORTING_KEY],
      ["the rotated reporting key", REPORTING_KEY_ROTATED],
      ["the ops key", OPS_KEY],
      ["the cluster secret", CLUSTER_SECRET],
      // A token's signature: the part no log may show, whole or in a token.
      ...sentTokens
        .filter((t) => t.includes("."))
        .map((t): [string, string] => [`the token ${t.slice(0, 12)}...`, t.split(".").pop()!]),
    ];
    for (const [what, value] of secrets) {
      expect(logs.includes(value), `${what} shows in a log`).toBe(false);
      expect(
        bodies.some((body) => body.includes(value)),
        `${what} shows in a response`,
      ).toBe(false);
    }
  });
});
