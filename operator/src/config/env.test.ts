import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManagementConfig } from "./env.js";
import { selectMode } from "./mode.js";

const base = { CLUSTER_SECRET: "cluster-secret-key" };

describe("parseManagementConfig", () => {
  it("applies the reference's defaults", () => {
    expect(parseManagementConfig(base)).toEqual({
      bind: { host: "", port: 14000 },
      logLevel: "info",
      dataDir: ".data",
      coreDb: { kind: "duckdb", path: join(".data", "management.duckdb"), readOnly: false },
      secret: "cluster-secret-key",
      timeoutMs: 30_000,
      checkIntervalMs: 60_000,
      removeAfterMs: 300_000,
      auth: { allowedAnonymous: true },
    });
  });

  it("reads the reference's management variables", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hugr-auth-"));
    const authFile = join(dir, "auth.yaml");
    await writeFile(authFile, "api-keys:\n  reporting:\n    key: k-123\n    header: x-reporting-key\n");
    const config = parseManagementConfig({
      ...base,
      BIND: ":14001",
      TIMEOUT: "5s",
      CHECK: "30s",
      NODE_REMOVE_AFTER: "10m",
      CORE_DB_PATH: "postgres://hugr:password@postgres:5432/hugr_core",
      ALLOWED_ANONYMOUS: "false",
      ANONYMOUS_ROLE: "guest",
      SECRET_KEY: "your-secret-key",
      ALLOW_MANAGED_API_KEYS: "true",
      AUTH_CONFIG_FILE: authFile,
      OIDC_ISSUER: "https://accounts.google.com",
      OIDC_CLIENT_ID: "your-client-id",
      OIDC_COOKIE_NAME: "hugr_session",
      OIDC_USERNAME_CLAIM: "preferred_username",
      OIDC_USERID_CLAIM: "sub",
      OIDC_ROLE_CLAIM: "roles",
      OIDC_SCOPE_ROLE_PREFIX: "app:",
      OIDC_TIMEOUT: "5s",
      OIDC_TLS_INSECURE: "true",
    });
    expect(config.bind.port).toBe(14001);
    expect([config.timeoutMs, config.checkIntervalMs, config.removeAfterMs]).toEqual([
      5_000, 30_000, 600_000,
    ]);
    expect(config.coreDb).toEqual({
      kind: "postgres",
      url: "postgres://hugr:password@postgres:5432/hugr_core",
      readOnly: false,
    });
    expect(config.auth).toEqual({
      allowedAnonymous: false,
      anonymousRole: "guest",
      secretKey: "your-secret-key",
      managedApiKeys: true,
      authConfig: {
        name: authFile,
        format: "yaml",
        contents: "api-keys:\n  reporting:\n    key: k-123\n    header: x-reporting-key\n",
      },
      oidc: {
        issuer: "https://accounts.google.com",
        clientId: "your-client-id",
        cookieName: "hugr_session",
        scopeRolePrefix: "app:",
        usernameClaim: "preferred_username",
        userIdClaim: "sub",
        roleClaim: "roles",
        timeoutMs: 5_000,
        tlsInsecure: true,
      },
    });
  });

  it.each([
    ["CLUSTER_SECRET", {}, /is required/],
    ["TIMEOUT", { ...base, TIMEOUT: "thirty seconds" }, /TIMEOUT/],
    ["CHECK", { ...base, CHECK: "-1m" }, /CHECK/],
    ["NODE_REMOVE_AFTER", { ...base, NODE_REMOVE_AFTER: "soon" }, /NODE_REMOVE_AFTER/],
    ["BIND", { ...base, BIND: "14000" }, /BIND/],
    ["AUTH_CONFIG_FILE", { ...base, AUTH_CONFIG_FILE: "/nonexistent/auth.yaml" }, /cannot be read: ENOENT/],
  ])("names %s when it is wrong", (variable, env, message) => {
    expect(() => parseManagementConfig(env)).toThrow(message);
    try {
      parseManagementConfig(env);
    } catch (error) {
      expect((error as { variable: string }).variable).toBe(variable);
    }
  });

  it("checks the auth file at start, naming the key, and never shows a secret", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hugr-auth-"));
    const authFile = join(dir, "auth.yaml");
    await writeFile(authFile, "api-keys:\n  a:\n    key: key-a-S3cret\n  b:\n    key: key-b-S3cret\n");
    const env = { ...base, AUTH_CONFIG_FILE: authFile };
    expect(() => parseManagementConfig(env)).toThrow(
      /^AUTH_CONFIG_FILE: api-keys\.b: header x-hugr-api-key is also read by api-keys\.a/,
    );
    expect(() => parseManagementConfig(env)).not.toThrow(/S3cret/);
    await writeFile(authFile, "authentication:\n  allowed_anonymous: false\n");
    expect(() => parseManagementConfig(env)).toThrow(/^AUTH_CONFIG_FILE: authentication: unknown key/);
  });

  it("opens a DuckDB core database read-only, and refuses it writable, naming CORE_DB_READONLY", () => {
    const file = { ...base, CORE_DB_PATH: "/data/core.duckdb" };
    expect(parseManagementConfig({ ...file, CORE_DB_READONLY: "true" }).coreDb).toEqual({
      kind: "duckdb",
      path: "/data/core.duckdb",
      readOnly: true,
    });
    expect(() => parseManagementConfig(file)).toThrow(
      /^CORE_DB_READONLY: must be true for the management node with a DuckDB core database .*DuckDB allows one writer process per file/,
    );
  });

  it("never echoes the cluster secret", () => {
    expect(() => parseManagementConfig({ CLUSTER_SECRET: " padded-secret " })).toThrow();
    try {
      parseManagementConfig({ CLUSTER_SECRET: " padded-secret " });
    } catch (error) {
      expect((error as Error).message).not.toContain("padded-secret");
    }
  });
});

describe("selectMode", () => {
  it("runs standalone without any Kubernetes configuration", () => {
    expect(selectMode([], {}, "/nonexistent/token")).toBe("standalone");
  });

  it("detects KUBECONFIG and honours --mode", () => {
    expect(selectMode([], { KUBECONFIG: "/home/me/.kube/config" }, "/nonexistent/token")).toBe("kubernetes");
    expect(selectMode(["--mode", "standalone"], { KUBECONFIG: "/x" })).toBe("standalone");
    expect(selectMode(["--mode=kubernetes"], {})).toBe("kubernetes");
    expect(() => selectMode(["--mode", "swarm"], {})).toThrow(/--mode/);
  });
});
