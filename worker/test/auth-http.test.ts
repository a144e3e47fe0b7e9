import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectData } from "./harness/graphql-data.js";
import { startInProcessWorker, type InProcessWorker } from "./harness/worker.js";

/**
 * The role matrix through real HTTP: a work node (DuckDB core database) configured with hugr's
 * variables and an auth file (a static key, a JWT provider by PEM, one by a JWKS served on
 * loopback), managed keys on. Every request goes over HTTP; answers are checked for status, code
 * and role, and the node's log lines for every credential the test used.
 */
const SECRET = "http-matrix-secret-0001";
const STATIC_KEY = "k-reporting-http-0002";
const MANAGED = {
  valid: "mk-valid-0003",
  disabled: "mk-disabled-0004",
  expired: "mk-expired-0005",
  later: "mk-later-0006",
};

const ME = `{ function { core { auth { me { role user_id user_name auth_type auth_provider impersonated_by_user_role } } } } }`;
type Me = { role: string; user_id: string; user_name: string; auth_type: string; auth_provider: string };

let dir: string;
let node: InProcessWorker;
let closed: InProcessWorker;
let jwks: Server;
let corpKey: CryptoKey;
let partnerKey: CryptoKey;
const logs: string[] = [];
const tokens: string[] = [];

async function sign(
  key: CryptoKey,
  claims: Record<string, unknown>,
  options: { issuer: string; kid?: string; audience?: string; expires?: string; alg?: string },
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? "RS256", ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.issuer)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? "10m");
  if (options.audience) jwt.setAudience(options.audience);
  const token = await jwt.sign(key);
  tokens.push(token);
  return token;
}

const corp = (claims: Record<string, unknown>, expires?: string) =>
  sign(corpKey, claims, { issuer: "https://corp.example", ...(expires ? { expires } : {}) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function me(headers: Record<string, string>): Promise<Me> {
  const data = expectData<{ function: { core: { auth: { me: Me } } } }>(
    await node.gql(ME, undefined, headers),
  );
  return data.function.core.auth.me;
}

async function refused(
  headers: Record<string, string>,
  status: 401 | 403,
  target: InProcessWorker = node,
): Promise<string> {
  const response = await target.gql(ME, undefined, headers);
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  const [error] = response.body.errors ?? [];
  expect(error?.extensions?.code).toBe(status === 401 ? "UNAUTHENTICATED" : "FORBIDDEN");
  expect(response.body.data).toBeUndefined();
  return error?.message ?? "";
}

async function admin(query: string, variables?: Record<string, unknown>): Promise<void> {
  expectData(await node.gql(query, variables, { "x-hugr-secret-key": SECRET }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-auth-http-"));
  const corpPair = await generateKeyPair("RS256", { extractable: true });
  const partnerPair = await generateKeyPair("ES256", { extractable: true });
  corpKey = corpPair.privateKey;
  partnerKey = partnerPair.privateKey;
  const partnerJwk: JWK = {
    ...(await exportJWK(partnerPair.publicKey)),
    kid: "p1",
    alg: "ES256",
    use: "sig",
  };
  jwks = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [partnerJwk] }));
  }).listen(0, "127.0.0.1");
  await once(jwks, "listening");
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  const pem = (await exportSPKI(corpPair.publicKey)).trim().split("\n").join("\n      ");
  const authFile = join(dir, "auth.yaml");
  await writeFile(
    authFile,
    `api-keys:
  reporting:
    key: ${STATIC_KEY}
    header: x-reporting-key
    default-role: readonly
    allowed-roles: [analyst]
jwt:
  corp:
    issuer: https://corp.example
    public-key: |
      ${pem}
  partner:
    issuer: https://partner.example
    jwks-url: ${jwksUrl}
    audience: hugr
`,
  );
  const logDestination = { write: (line: string) => void logs.push(line) };
  node = await startInProcessWorker(
    {
      CORE_DB_PATH: join(dir, "core.duckdb"),
      SECRET_KEY: SECRET,
      AUTH_CONFIG_FILE: authFile,
      ALLOW_MANAGED_API_KEYS: "true",
      // Managed keys are looked up through the cache: a key's change must still apply at once.
      CACHE_L1_ENABLED: "true",
      LOG_LEVEL: "debug",
    },
    { logDestination },
  );
  closed = await startInProcessWorker(
    {
      CORE_DB_PATH: join(dir, "closed.duckdb"),
      SECRET_KEY: SECRET,
      ALLOWED_ANONYMOUS: "false",
      LOG_LEVEL: "debug",
    },
    { logDestination },
  );
  await admin(`mutation { core { insert_roles(data: {name: "analyst"}) { name } } }`);
  await admin(`mutation { core { insert_roles(data: {name: "retired", disabled: true}) { name } } }`);
  const key = (name: string, value: string, extra: Record<string, unknown> = {}) =>
    admin(`mutation($k: api_keys_mut_input_data!) { core { insert_api_keys(data: $k) { name } } }`, {
      k: { name, key: value, default_role: "analyst", ...extra },
    });
  await key("etl", MANAGED.valid, { claims: { user_id: "etl-bot", region: "north" } });
  await key("old", MANAGED.disabled, { disabled: true });
  await key("trial", MANAGED.expired, { is_temporal: true, expires_at: "2020-01-01T00:00:00Z" });
  await key("pilot", MANAGED.later, { is_temporal: true, expires_at: "2999-01-01T00:00:00Z" });
}, 60_000);

afterAll(async () => {
  await node?.close();
  await closed?.close();
  jwks?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("anonymous", () => {
  it("gets the public role once anything is configured, and no core module", async () => {
    expect(await me({})).toMatchObject({ role: "public", auth_type: "anonymous" });
    const core = await node.gql(`{ core { data_sources { name } } }`);
    expect(core.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("is refused with 401 when ALLOWED_ANONYMOUS=false", async () => {
    expect(await refused({}, 401, closed)).toMatch(/authentication required/i);
    expect(expectData(await closed.gql(ME, undefined, { "x-hugr-secret-key": SECRET }))).toBeDefined();
  });
});

describe("keys", () => {
  it("the secret key is admin; a wrong one is 401, not anonymous", async () => {
    expect(await me({ "x-hugr-secret-key": SECRET })).toMatchObject({
      role: "admin",
      auth_provider: "secret-key",
    });
    await refused({ "x-hugr-secret-key": "not-the-secret" }, 401);
  });

  it("a static key gives its default role, and its header may choose only a granted role", async () => {
    expect(await me({ "x-reporting-key": STATIC_KEY })).toMatchObject({
      role: "readonly",
      auth_provider: "reporting",
    });
    expect(await me({ "x-reporting-key": STATIC_KEY, "x-hugr-role": "analyst" })).toMatchObject({
      role: "analyst",
    });
    expect(await refused({ "x-reporting-key": STATIC_KEY, "x-hugr-role": "admin" }, 403)).toContain(
      "not granted",
    );
    await refused({ "x-reporting-key": "k-wrong" }, 401);
  });

  it("managed keys: valid and temporal ones work, disabled and expired ones are 401", async () => {
    expect(await me({ "x-hugr-api-key": MANAGED.valid })).toMatchObject({
      role: "analyst",
      auth_type: "db-api-key",
      user_id: "etl-bot",
    });
    expect(await me({ "x-hugr-api-key": MANAGED.later })).toMatchObject({ role: "analyst" });
    await refused({ "x-hugr-api-key": MANAGED.disabled }, 401);
    await refused({ "x-hugr-api-key": MANAGED.expired }, 401);
    await refused({ "x-hugr-api-key": "mk-unknown" }, 401);
  });

  it("a managed key disabled through the core module is refused at its next request", async () => {
    expect(await me({ "x-hugr-api-key": MANAGED.later })).toMatchObject({ role: "analyst" });
    await admin(
      `mutation { core { update_api_keys(filter: {name: {eq: "pilot"}}, data: {disabled: true}) { name } } }`,
    );
    await refused({ "x-hugr-api-key": MANAGED.later }, 401);
  });
});

describe("tokens", () => {
  it("a JWT verified by a PEM key maps its claims; a role claim array grants each role", async () => {
    const token = await corp({ sub: "u-17", name: "Ada", "x-hugr-role": ["analyst", "readonly"] });
    expect(await me(bearer(token))).toMatchObject({
      role: "analyst",
      user_id: "u-17",
      user_name: "Ada",
      auth_type: "jwt",
    });
    expect(await me({ ...bearer(token), "x-hugr-role": "readonly" })).toMatchObject({ role: "readonly" });
    await refused({ ...bearer(token), "x-hugr-role": "admin" }, 403);
  });

  it("a JWT verified by the provider's JWKS, with its audience checked", async () => {
    const good = await sign(
      partnerKey,
      { sub: "p-1", "x-hugr-role": "analyst" },
      {
        issuer: "https://partner.example",
        kid: "p1",
        alg: "ES256",
        audience: "hugr",
      },
    );
    expect(await me(bearer(good))).toMatchObject({ role: "analyst", auth_provider: "partner" });
    const otherAudience = await sign(
      partnerKey,
      { sub: "p-1" },
      {
        issuer: "https://partner.example",
        kid: "p1",
        alg: "ES256",
        audience: "someone-else",
      },
    );
    await refused(bearer(otherAudience), 401);
  });

  it("expired, tampered, unsigned and oversized credentials are 401 with no part of them in the answer", async () => {
    const expired = await corp({ sub: "u-1", "x-hugr-role": "analyst" }, "-5m");
    expect(await refused(bearer(expired), 401)).toMatch(/expired/);
    const valid = await corp({ sub: "u-1", "x-hugr-role": "analyst" });
    const [header, , signature] = valid.split(".");
    const payload = Buffer.from(
      JSON.stringify({ sub: "u-1", "x-hugr-role": "admin", iss: "https://corp.example" }),
    ).toString("base64url");
    const tampered = `${header}.${payload}.${signature}`;
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
    tokens.push(tampered, none);
    for (const token of [tampered, none, "not-a-jwt"]) {
      const message = await refused(bearer(token), 401);
      expect(message).not.toContain(token.slice(0, 20));
    }
  });

  it("an oversized Authorization header is refused by the HTTP server before anything reads it", async () => {
    const response = await fetch(`${node.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${"x".repeat(20_000)}` },
      body: JSON.stringify({ query: ME }),
    });
    // Node's header limit (16 KiB in all) answers first; the chain's own 16 KiB limit backs it up.
    expect(response.status).toBe(431);
  });
});

describe("roles and impersonation", () => {
  it("admin may impersonate; a role that may not is refused with 403", async () => {
    expect(
      await me({
        "x-hugr-secret-key": SECRET,
        "x-hugr-impersonated-role": "analyst",
        "x-hugr-impersonated-user-id": "42",
      }),
    ).toMatchObject({
      role: "analyst",
      user_id: "42",
      auth_type: "impersonation",
      impersonated_by_user_role: "admin",
    });
    await refused({ "x-reporting-key": STATIC_KEY, "x-hugr-impersonated-role": "admin" }, 403);
    await refused({ "x-hugr-secret-key": SECRET, "x-hugr-impersonated-role": "nobody" }, 403);
  });

  it("an unknown or disabled role is 403", async () => {
    await refused(bearer(await corp({ sub: "u-2", "x-hugr-role": "retired" })), 403);
    await refused(bearer(await corp({ sub: "u-3", "x-hugr-role": "ghost" })), 403);
  });
});

describe("logs", () => {
  it("never hold a credential", () => {
    const text = logs.join("");
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [
      SECRET,
      STATIC_KEY,
      ...Object.values(MANAGED),
      ...tokens.map((t) => t.slice(0, 40)),
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
