import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@hugr/common";
import { parseWorkerConfig } from "./env.js";
import type { WorkerConfig } from "./types.js";

type Env = Record<string, string | undefined>;

/** The environment of a work node in cluster mode, as in hugr's clustered-deployment docs. */
const CLUSTER_ENV: Env = {
  CLUSTER_SECRET: "cluster-secret-key",
  CLUSTER_MANAGEMENT_URL: "http://management:14000",
  CLUSTER_NODE_NAME: "worker-1",
  CLUSTER_NODE_URL: "http://worker-1:15000",
};

/** The ConfigError that parsing `env` throws (fails the test if it throws nothing or something else). */
function configError(env: Env): ConfigError {
  try {
    parseWorkerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("parseWorkerConfig defaults", () => {
  it("gives every variable its default in an empty environment", () => {
    const expected: WorkerConfig = {
      bind: { host: "", port: 15000 },
      adminUI: true,
      logLevel: "info",
      dataDir: ".data",
      coreDb: { kind: "duckdb", path: join(".data", "core.duckdb"), readOnly: false },
      cache: {
        ttlMs: 300_000,
        l1: {
          enabled: false,
          maxSizeMB: 512,
          maxItemSizeMB: 100,
          cleanIntervalMs: undefined,
          evictionTimeMs: undefined,
        },
        l2: {
          enabled: false,
          backend: "redis",
          addresses: [],
          database: 0,
          username: undefined,
          password: undefined,
        },
      },
      storageCache: { dir: join(".data", "object-cache"), maxSizeMB: 1024 },
      dataSources: {
        maxConnections: 10,
        statementTimeoutMs: 30_000,
        connectTimeoutMs: 10_000,
        idleTimeoutMs: 60_000,
      },
      auth: { allowedAnonymous: true },
      cluster: undefined,
      corsAllowedOrigins: [],
    };
    expect(parseWorkerConfig({})).toEqual(expected);
  });

  it("treats empty and blank values as unset", () => {
    const blank: Env = {};
    for (const name of [
      "BIND",
      "ADMIN_UI",
      "LOG_LEVEL",
      "HUGR_DATA_DIR",
      "CORE_DB_PATH",
      "CORE_DB_READONLY",
      "CACHE_TTL",
      "CACHE_L1_ENABLED",
      "CACHE_L1_MAX_SIZE",
      "CACHE_L1_MAX_ITEM_SIZE",
      "CACHE_L1_SHARDS",
      "CACHE_L1_CLEAN_TIME",
      "CACHE_L1_EVICTION_TIME",
      "CACHE_L2_ENABLED",
      "CACHE_L2_BACKEND",
      "CACHE_L2_ADDRESSES",
      "CACHE_L2_DATABASE",
      "CACHE_L2_USERNAME",
      "CACHE_L2_PASSWORD",
      "STORAGE_CACHE_DIR",
      "STORAGE_CACHE_MAX_SIZE",
      "ALLOWED_ANONYMOUS",
      "ANONYMOUS_ROLE",
      "SECRET_KEY",
      "AUTH_CONFIG_FILE",
      "OIDC_ISSUER",
      "OIDC_CLIENT_ID",
      "OIDC_COOKIE_NAME",
      "OIDC_USERNAME_CLAIM",
      "OIDC_USERID_CLAIM",
      "OIDC_ROLE_CLAIM",
      "OIDC_SCOPE_ROLE_PREFIX",
      "OIDC_TIMEOUT",
      "OIDC_TLS_INSECURE",
      "ALLOW_MANAGED_API_KEYS",
      "CLUSTER_MANAGEMENT_URL",
      "CLUSTER_SECRET",
      "CLUSTER_NODE_NAME",
      "CLUSTER_NODE_URL",
      "CLUSTER_TIMEOUT",
      "CORS_ALLOWED_ORIGINS",
    ]) {
      blank[name] = "";
    }
    expect(parseWorkerConfig(blank)).toEqual(parseWorkerConfig({}));
    expect(parseWorkerConfig({ BIND: "  ", CACHE_TTL: " \t", ADMIN_UI: " " })).toEqual(parseWorkerConfig({}));
  });

  it("puts the default embedded core database and the object cache under HUGR_DATA_DIR", () => {
    const config = parseWorkerConfig({ HUGR_DATA_DIR: "/var/lib/hugr" });
    expect(config.dataDir).toBe("/var/lib/hugr");
    expect(config.coreDb).toEqual({ kind: "duckdb", path: "/var/lib/hugr/core.duckdb", readOnly: false });
    expect(config.storageCache.dir).toBe("/var/lib/hugr/object-cache");
  });

  it("accepts process.env as it is", () => {
    expect(() => parseWorkerConfig(process.env)).not.toThrow();
  });
});

describe("parseWorkerConfig valid forms", () => {
  // Every accepted spelling is tested on readBool (common/src/env/readers.test.ts); here, the wiring.
  it.each([
    ["yes", true],
    ["0", false],
  ])("booleans: %j is %s", (text, value) => {
    const config = parseWorkerConfig({
      ADMIN_UI: text,
      CORE_DB_READONLY: text,
      CACHE_L1_ENABLED: text,
      ALLOWED_ANONYMOUS: text,
    });
    expect(config.adminUI).toBe(value);
    expect(config.coreDb.readOnly).toBe(value);
    expect(config.cache.l1.enabled).toBe(value);
    expect(config.auth.allowedAnonymous).toBe(value);
  });

  it("reads the sections shared with the management node (@hugr/common) from the same variables", () => {
    const config = parseWorkerConfig({
      BIND: "127.0.0.1:8080",
      LOG_LEVEL: "DEBUG",
      HUGR_DATA_DIR: "/var/lib/hugr",
      CORE_DB_PATH: "postgres://db/hugr",
      CORE_DB_READONLY: "yes",
      SECRET_KEY: "s3cr3t",
      OIDC_ISSUER: "https://idp.example/",
      OIDC_CLIENT_ID: "hugr",
    });
    expect(config.bind).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.logLevel).toBe("debug");
    expect(config.dataDir).toBe("/var/lib/hugr");
    expect(config.coreDb).toEqual({ kind: "postgres", url: "postgres://db/hugr", readOnly: true });
    expect(config.auth.secretKey).toBe("s3cr3t");
    expect(config.auth.oidc).toMatchObject({ issuer: "https://idp.example/", clientId: "hugr" });
  });

  it.each([
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
  ])("CACHE_TTL=%s is %d ms", (text, ms) => {
    expect(parseWorkerConfig({ CACHE_TTL: text }).cache.ttlMs).toBe(ms);
  });

  it("reads the object storage cache", () => {
    const config = parseWorkerConfig({
      HUGR_DATA_DIR: "/var/lib/hugr",
      STORAGE_CACHE_DIR: " /cache/objects ",
      STORAGE_CACHE_MAX_SIZE: "20480",
    });
    expect(config.storageCache).toEqual({ dir: "/cache/objects", maxSizeMB: 20480 });
  });

  it("reads the data source pool limits", () => {
    const config = parseWorkerConfig({
      DATA_SOURCE_MAX_CONNECTIONS: "25",
      DATA_SOURCE_STATEMENT_TIMEOUT: "2m",
      DATA_SOURCE_CONNECT_TIMEOUT: "3s",
      DATA_SOURCE_IDLE_TIMEOUT: "30s",
    });
    expect(config.dataSources).toEqual({
      maxConnections: 25,
      statementTimeoutMs: 120_000,
      connectTimeoutMs: 3_000,
      idleTimeoutMs: 30_000,
    });
  });

  it.each([
    ["DATA_SOURCE_MAX_CONNECTIONS", "0"],
    ["DATA_SOURCE_STATEMENT_TIMEOUT", "soon"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    expect(() => parseWorkerConfig({ [name]: value })).toThrow(name);
  });

  it("reads the L1 cache", () => {
    const config = parseWorkerConfig({ CACHE_L1_ENABLED: "true", CACHE_L1_MAX_SIZE: "1024" });
    expect(config.cache.l1).toMatchObject({ enabled: true, maxSizeMB: 1024, maxItemSizeMB: 100 });
  });

  it("reads hugr's other CACHE_L1_* variables (CACHE_L1_SHARDS checked, then ignored)", () => {
    const config = parseWorkerConfig({
      CACHE_L1_MAX_ITEM_SIZE: "8",
      CACHE_L1_SHARDS: "64",
      CACHE_L1_CLEAN_TIME: "30s",
      CACHE_L1_EVICTION_TIME: "10m",
    });
    expect(config.cache.l1).toEqual({
      enabled: false,
      maxSizeMB: 512,
      maxItemSizeMB: 8,
      cleanIntervalMs: 30_000,
      evictionTimeMs: 600_000,
    });
  });

  it.each([
    ["CACHE_L1_MAX_ITEM_SIZE", "0"],
    ["CACHE_L1_SHARDS", "many"],
    ["CACHE_L1_CLEAN_TIME", "soon"],
    ["CACHE_L1_EVICTION_TIME", "0s"],
  ])("rejects %s=%s", (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });

  it("reads a Redis L2 cache with credentials", () => {
    const config = parseWorkerConfig({
      CACHE_L2_ENABLED: "true",
      CACHE_L2_BACKEND: "redis",
      CACHE_L2_ADDRESSES: "redis-node-1:6379, redis-node-2:6379,,redis-node-3:6379,",
      CACHE_L2_DATABASE: "3",
      CACHE_L2_USERNAME: "hugr",
      CACHE_L2_PASSWORD: " pass word ",
    });
    expect(config.cache.l2).toEqual({
      enabled: true,
      backend: "redis",
      addresses: ["redis-node-1:6379", "redis-node-2:6379", "redis-node-3:6379"],
      database: 3,
      username: "hugr",
      password: " pass word ",
    });
  });

  it("reads a Memcached L2 cache (backend in any case, IPv4 and IPv6 addresses)", () => {
    const config = parseWorkerConfig({
      CACHE_L2_ENABLED: "yes",
      CACHE_L2_BACKEND: "Memcached",
      CACHE_L2_ADDRESSES: "10.0.0.5:11211,[fd00::5]:11211",
    });
    expect(config.cache.l2).toMatchObject({
      enabled: true,
      backend: "memcached",
      addresses: ["10.0.0.5:11211", "[fd00::5]:11211"],
      database: 0,
    });
  });

  it("keeps a disabled L2 cache's settings without requiring them", () => {
    expect(parseWorkerConfig({ CACHE_L2_ENABLED: "false" }).cache.l2.enabled).toBe(false);
    const config = parseWorkerConfig({ CACHE_L2_BACKEND: "memcached", CACHE_L2_ADDRESSES: "mc:11211" });
    expect(config.cache.l2).toMatchObject({ enabled: false, backend: "memcached", addresses: ["mc:11211"] });
  });

  it("enters cluster mode when CLUSTER_MANAGEMENT_URL is set", () => {
    expect(parseWorkerConfig(CLUSTER_ENV).cluster).toEqual({
      secret: "cluster-secret-key",
      managementUrl: "http://management:14000",
      nodeName: "worker-1",
      nodeUrl: "http://worker-1:15000",
      timeoutMs: 5_000,
    });
  });

  it("reads CLUSTER_TIMEOUT and https cluster URLs", () => {
    const cluster = parseWorkerConfig({
      ...CLUSTER_ENV,
      CLUSTER_MANAGEMENT_URL: "https://management.hugr.svc:14000",
      CLUSTER_NODE_URL: "https://10.0.0.7:15000",
      CLUSTER_TIMEOUT: "2m30s",
    }).cluster;
    expect(cluster).toMatchObject({
      managementUrl: "https://management.hugr.svc:14000",
      nodeUrl: "https://10.0.0.7:15000",
      timeoutMs: 150_000,
    });
  });

  it("opens a DuckDB core database read-only in cluster mode, and writable on a single node", () => {
    const file = { CORE_DB_PATH: "/data/core.duckdb" };
    expect(parseWorkerConfig({ ...CLUSTER_ENV, ...file, CORE_DB_READONLY: "true" }).coreDb).toEqual({
      kind: "duckdb",
      path: "/data/core.duckdb",
      readOnly: true,
    });
    expect(parseWorkerConfig(file).coreDb).toEqual({
      kind: "duckdb",
      path: "/data/core.duckdb",
      readOnly: false,
    });
  });

  it("refuses a writable DuckDB core database in cluster mode, naming CORE_DB_READONLY", () => {
    const error = configError({ ...CLUSTER_ENV, CORE_DB_PATH: "/data/core.duckdb" });
    expect(error.variable).toBe("CORE_DB_READONLY");
    expect(error.message).toContain("must be true for a work node in cluster mode");
    expect(error.message).toContain("DuckDB allows one writer process per file");
  });

  it("stays standalone, without checking them, when only other cluster variables are set", () => {
    const config = parseWorkerConfig({
      CLUSTER_SECRET: " anything\n",
      CLUSTER_NODE_NAME: "worker-1",
      CLUSTER_NODE_URL: "not a url",
      CLUSTER_TIMEOUT: "soon",
    });
    expect(config.cluster).toBeUndefined();
  });

  it.each([
    ["http://localhost:3000,https://app.example.com", ["http://localhost:3000", "https://app.example.com"]],
    [" http://a.example , ,https://b.example ,", ["http://a.example", "https://b.example"]],
    ["*", ["*"]],
    [",,", []],
  ])("CORS_ALLOWED_ORIGINS=%j", (text, origins) => {
    expect(parseWorkerConfig({ CORS_ALLOWED_ORIGINS: text }).corsAllowedOrigins).toEqual(origins);
  });
});

describe("parseWorkerConfig refusals", () => {
  const l2 = { CACHE_L2_ENABLED: "true", CACHE_L2_BACKEND: "redis", CACHE_L2_ADDRESSES: "redis:6379" };

  it.each<[string, Env, string, string]>([
    ["ADMIN_UI not a boolean", { ADMIN_UI: "enabled" }, "ADMIN_UI", "must be true/false, 1/0 or yes/no"],
    ["ADMIN_UI as on", { ADMIN_UI: "on" }, "ADMIN_UI", "must be true/false"],
    ["CACHE_L1_ENABLED as y", { CACHE_L1_ENABLED: "y" }, "CACHE_L1_ENABLED", "must be true/false"],
    ["CACHE_L2_ENABLED as t", { CACHE_L2_ENABLED: "t" }, "CACHE_L2_ENABLED", "must be true/false"],
    ["CACHE_TTL bare number", { CACHE_TTL: "10" }, "CACHE_TTL", "missing unit"],
    ["CACHE_TTL unknown unit", { CACHE_TTL: "1x" }, "CACHE_TTL", 'unknown unit "x"'],
    ["CACHE_TTL negative", { CACHE_TTL: "-1s" }, "CACHE_TTL", "negative durations are not allowed"],
    ["CACHE_TTL unit only", { CACHE_TTL: "s" }, "CACHE_TTL", "is not a valid duration"],
    ["CACHE_TTL zero", { CACHE_TTL: "0" }, "CACHE_TTL", "must be greater than zero"],
    ["CACHE_L1_MAX_SIZE zero", { CACHE_L1_MAX_SIZE: "0" }, "CACHE_L1_MAX_SIZE", "must be a positive integer"],
    [
      "STORAGE_CACHE_MAX_SIZE zero",
      { STORAGE_CACHE_MAX_SIZE: "0" },
      "STORAGE_CACHE_MAX_SIZE",
      "positive integer",
    ],
    [
      "STORAGE_CACHE_MAX_SIZE with a unit",
      { STORAGE_CACHE_MAX_SIZE: "1GB" },
      "STORAGE_CACHE_MAX_SIZE",
      "positive integer",
    ],
    ["CACHE_L1_MAX_SIZE negative", { CACHE_L1_MAX_SIZE: "-5" }, "CACHE_L1_MAX_SIZE", "positive integer"],
    ["CACHE_L1_MAX_SIZE fractional", { CACHE_L1_MAX_SIZE: "1.5" }, "CACHE_L1_MAX_SIZE", "positive integer"],
    [
      "CACHE_L1_MAX_SIZE with a unit",
      { CACHE_L1_MAX_SIZE: "512MB" },
      "CACHE_L1_MAX_SIZE",
      "positive integer",
    ],
    ["CACHE_L1_MAX_SIZE in hex", { CACHE_L1_MAX_SIZE: "0x200" }, "CACHE_L1_MAX_SIZE", "positive integer"],
    [
      "CACHE_L1_MAX_SIZE huge",
      { CACHE_L1_MAX_SIZE: "99999999999999999999" },
      "CACHE_L1_MAX_SIZE",
      "positive integer",
    ],
    [
      "L2 enabled without a backend",
      { CACHE_L2_ENABLED: "true", CACHE_L2_ADDRESSES: "redis:6379" },
      "CACHE_L2_BACKEND",
      "is required when CACHE_L2_ENABLED is true",
    ],
    [
      "L2 enabled without addresses",
      { CACHE_L2_ENABLED: "true", CACHE_L2_BACKEND: "redis" },
      "CACHE_L2_ADDRESSES",
      "is required when CACHE_L2_ENABLED is true",
    ],
    [
      "L2 enabled with only commas for addresses",
      { ...l2, CACHE_L2_ADDRESSES: " , ," },
      "CACHE_L2_ADDRESSES",
      "is required",
    ],
    [
      "L2 backend unknown",
      { ...l2, CACHE_L2_BACKEND: "valkey" },
      "CACHE_L2_BACKEND",
      "must be one of redis, memcached",
    ],
    [
      "L2 backend unknown while disabled",
      { CACHE_L2_BACKEND: "hazelcast" },
      "CACHE_L2_BACKEND",
      "must be one of redis, memcached",
    ],
    [
      "L2 address without a port",
      { ...l2, CACHE_L2_ADDRESSES: "redis:6379,redis2" },
      "CACHE_L2_ADDRESSES",
      'address "redis2" is invalid: expected "host:port"',
    ],
    [
      "L2 address without a host",
      { ...l2, CACHE_L2_ADDRESSES: ":6379" },
      "CACHE_L2_ADDRESSES",
      "the host is missing",
    ],
    [
      "L2 address with port 0",
      { ...l2, CACHE_L2_ADDRESSES: "redis:0" },
      "CACHE_L2_ADDRESSES",
      "the port must be from 1 to 65535",
    ],
    [
      "L2 address as a URL",
      { ...l2, CACHE_L2_ADDRESSES: "redis://redis:6379" },
      "CACHE_L2_ADDRESSES",
      "is invalid",
    ],
    [
      "L2 database negative",
      { ...l2, CACHE_L2_DATABASE: "-1" },
      "CACHE_L2_DATABASE",
      "must be an integer of at least 0",
    ],
    ["L2 database not a number", { CACHE_L2_DATABASE: "one" }, "CACHE_L2_DATABASE", "integer of at least 0"],
    [
      "CLUSTER_MANAGEMENT_URL not a URL",
      { ...CLUSTER_ENV, CLUSTER_MANAGEMENT_URL: "management:14000" },
      "CLUSTER_MANAGEMENT_URL",
      "must be an http:// or https:// URL",
    ],
    [
      "CLUSTER_MANAGEMENT_URL without a host",
      { ...CLUSTER_ENV, CLUSTER_MANAGEMENT_URL: "http://" },
      "CLUSTER_MANAGEMENT_URL",
      "must be an http:// or https:// URL",
    ],
    [
      "cluster mode without CLUSTER_SECRET",
      { ...CLUSTER_ENV, CLUSTER_SECRET: undefined },
      "CLUSTER_SECRET",
      "is required in cluster mode (when CLUSTER_MANAGEMENT_URL is set)",
    ],
    [
      "cluster mode with an empty CLUSTER_SECRET",
      { ...CLUSTER_ENV, CLUSTER_SECRET: "" },
      "CLUSTER_SECRET",
      "is required in cluster mode",
    ],
    [
      "cluster mode without CLUSTER_NODE_NAME",
      { ...CLUSTER_ENV, CLUSTER_NODE_NAME: " " },
      "CLUSTER_NODE_NAME",
      "is required in cluster mode",
    ],
    [
      "a CLUSTER_NODE_NAME the management node would refuse (not a pod name)",
      { ...CLUSTER_ENV, CLUSTER_NODE_NAME: "MyLaptop" },
      "CLUSTER_NODE_NAME",
      "must be a DNS-1123 name",
    ],
    [
      "cluster mode without CLUSTER_NODE_URL",
      { ...CLUSTER_ENV, CLUSTER_NODE_URL: undefined },
      "CLUSTER_NODE_URL",
      "is required in cluster mode",
    ],
    [
      "CLUSTER_NODE_URL not a URL",
      { ...CLUSTER_ENV, CLUSTER_NODE_URL: "worker-1:15000" },
      "CLUSTER_NODE_URL",
      "must be an http:// or https:// URL",
    ],
    [
      "CLUSTER_TIMEOUT bare number",
      { ...CLUSTER_ENV, CLUSTER_TIMEOUT: "5" },
      "CLUSTER_TIMEOUT",
      "missing unit",
    ],
    [
      "CLUSTER_TIMEOUT zero",
      { ...CLUSTER_ENV, CLUSTER_TIMEOUT: "0s" },
      "CLUSTER_TIMEOUT",
      "must be greater than zero",
    ],
    [
      "CLUSTER_TIMEOUT beyond Node's timers",
      { ...CLUSTER_ENV, CLUSTER_TIMEOUT: "600h" },
      "CLUSTER_TIMEOUT",
      "must be at most 2147483647 ms",
    ],
    [
      "CLUSTER_SECRET with a trailing newline",
      { ...CLUSTER_ENV, CLUSTER_SECRET: "cluster-secret-key\n" },
      "CLUSTER_SECRET",
      "has leading or trailing whitespace",
    ],
  ])("%s", (_case, env, variable, fragment) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toContain(fragment);
    expect(error.name).toBe("ConfigError");
  });

  it("quotes the offending value of ordinary variables", () => {
    expect(configError({ CACHE_TTL: "10" }).message).toBe(
      'CACHE_TTL: is not a valid duration such as "30s", "1m" or "5m30s": missing unit: add one of ' +
        'ns, us, µs, ms, s, m, h (only a bare "0" may omit it) (got "10")',
    );
    expect(configError({ ADMIN_UI: "maybe" }).message).toBe(
      'ADMIN_UI: must be true/false, 1/0 or yes/no (got "maybe")',
    );
  });

  it("leaves the value out when a variable is missing", () => {
    expect(configError({ ...CLUSTER_ENV, CLUSTER_NODE_NAME: undefined }).message).toBe(
      "CLUSTER_NODE_NAME: is required in cluster mode (when CLUSTER_MANAGEMENT_URL is set)",
    );
  });
});

describe("parseWorkerConfig secrets", () => {
  const secret = "hunter2-Sup3rS3cret";

  it("never shows CLUSTER_SECRET in its error", () => {
    const error = configError({ ...CLUSTER_ENV, CLUSTER_SECRET: `${secret}\n` });
    expect(error.variable).toBe("CLUSTER_SECRET");
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("(value hidden)");
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  });

  it("never shows secrets in errors about other variables", () => {
    const error = configError({
      ...CLUSTER_ENV,
      CLUSTER_SECRET: secret,
      SECRET_KEY: secret,
      CACHE_L2_PASSWORD: secret,
      CORE_DB_PATH: `postgres://hugr:${secret}@db/hugr`,
      CACHE_TTL: "forever",
    });
    expect(error.variable).toBe("CACHE_TTL");
    expect(error.message).not.toContain(secret);
  });
});

describe("parseWorkerConfig authentication", () => {
  it("reads the auth file into the settings and checks it at start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hugr-worker-auth-"));
    const file = join(dir, "auth.yaml");
    await writeFile(file, "api-keys:\n  ci:\n    key: ci-key-S3cret\n");
    expect(parseWorkerConfig({ AUTH_CONFIG_FILE: file, ANONYMOUS_ROLE: "guest" }).auth).toEqual({
      allowedAnonymous: true,
      anonymousRole: "guest",
      authConfig: { name: file, format: "yaml", contents: "api-keys:\n  ci:\n    key: ci-key-S3cret\n" },
    });

    await writeFile(file, "api-keys:\n  ci:\n    key: ci-key-S3cret\n    header: x-hugr-secret-key\n");
    const error = configError({ AUTH_CONFIG_FILE: file });
    expect(error.variable).toBe("AUTH_CONFIG_FILE");
    expect(error.message).toMatch(
      /^AUTH_CONFIG_FILE: api-keys\.ci: header x-hugr-secret-key is also read by the secret key/,
    );
    expect(error.message).not.toContain("S3cret");
  });

  it.each([
    [
      "a missing auth file",
      { AUTH_CONFIG_FILE: "/nonexistent/auth.yaml" },
      "AUTH_CONFIG_FILE",
      "cannot be read: ENOENT",
    ],
    [
      "an auth file hugr cannot read",
      { AUTH_CONFIG_FILE: "/etc/auth.conf" },
      "AUTH_CONFIG_FILE",
      "must end in .yaml",
    ],
    ["an OIDC_TIMEOUT that is no duration", { OIDC_TIMEOUT: "ten" }, "OIDC_TIMEOUT", "not a valid duration"],
  ])("refuses %s", (_case, env, variable, fragment) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(fragment);
  });
});
