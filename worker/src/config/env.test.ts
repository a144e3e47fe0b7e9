import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
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
      coreDb: { kind: "pglite", dir: join(".data", "core-db"), readOnly: false },
      cache: {
        ttlMs: 300_000,
        l1: { enabled: false, maxSizeMB: 512 },
        l2: {
          enabled: false,
          backend: "redis",
          addresses: [],
          database: 0,
          username: undefined,
          password: undefined,
        },
      },
      auth: {
        allowedAnonymous: true,
        anonymousRole: "anonymous",
        secretKey: undefined,
        configFile: undefined,
        oidc: {
          issuer: undefined,
          clientId: undefined,
          cookieName: "",
          usernameClaim: "name",
          userIdClaim: "sub",
          roleClaim: "x-hugr-role",
        },
      },
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
      "CACHE_L2_ENABLED",
      "CACHE_L2_BACKEND",
      "CACHE_L2_ADDRESSES",
      "CACHE_L2_DATABASE",
      "CACHE_L2_USERNAME",
      "CACHE_L2_PASSWORD",
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

  it("puts the default embedded core database under HUGR_DATA_DIR", () => {
    const config = parseWorkerConfig({ HUGR_DATA_DIR: "/var/lib/hugr" });
    expect(config.dataDir).toBe("/var/lib/hugr");
    expect(config.coreDb).toEqual({ kind: "pglite", dir: "/var/lib/hugr/core-db", readOnly: false });
  });

  it("accepts process.env as it is", () => {
    expect(() => parseWorkerConfig(process.env)).not.toThrow();
  });
});

describe("parseWorkerConfig valid forms", () => {
  it.each([
    [":15000", "", 15000],
    ["0.0.0.0:15000", "0.0.0.0", 15000],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["[::1]:15000", "::1", 15000],
    ["[::]:8080", "::", 8080],
    ["localhost:8080", "localhost", 8080],
    ["worker-1.hugr-worker.default.svc:65535", "worker-1.hugr-worker.default.svc", 65535],
    ["  :15000  ", "", 15000],
  ])("BIND=%j listens on host %j port %d", (bind, host, port) => {
    expect(parseWorkerConfig({ BIND: bind }).bind).toEqual({ host, port });
  });

  it.each([
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["1", true],
    ["yes", true],
    ["YES", true],
    [" true ", true],
    ["false", false],
    ["False", false],
    ["0", false],
    ["no", false],
    ["No", false],
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

  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const)(
    "LOG_LEVEL=%s",
    (level) => {
      expect(parseWorkerConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
      expect(parseWorkerConfig({ LOG_LEVEL: level.toUpperCase() }).logLevel).toBe(level);
    },
  );

  it.each([
    "postgres://hugr:password@postgres:5432/hugr_core",
    "postgresql://hugr:password@postgres:5432/hugr_core?sslmode=require",
    "postgres://postgres/hugr_core",
    "POSTGRES://postgres:5432/hugr",
  ])("CORE_DB_PATH=%s is a PostgreSQL core database", (url) => {
    expect(parseWorkerConfig({ CORE_DB_PATH: url }).coreDb).toEqual({
      kind: "postgres",
      url,
      readOnly: false,
    });
  });

  it("CORE_DB_PATH as a secret file value loses its trailing newline", () => {
    const url = "postgres://hugr:password@postgres:5432/hugr_core";
    expect(parseWorkerConfig({ CORE_DB_PATH: `${url}\n` }).coreDb).toMatchObject({ kind: "postgres", url });
  });

  it.each(["/data/core-db", "./core-db", "relative/folder", "/data/core.db", "memory://"])(
    "CORE_DB_PATH=%s is an embedded database folder",
    (dir) => {
      expect(parseWorkerConfig({ CORE_DB_PATH: dir, HUGR_DATA_DIR: "/elsewhere" }).coreDb).toEqual({
        kind: "pglite",
        dir,
        readOnly: false,
      });
    },
  );

  it("CORE_DB_READONLY applies to both kinds of core database", () => {
    expect(parseWorkerConfig({ CORE_DB_READONLY: "true" }).coreDb.readOnly).toBe(true);
    expect(
      parseWorkerConfig({ CORE_DB_READONLY: "true", CORE_DB_PATH: "postgres://db/hugr" }).coreDb.readOnly,
    ).toBe(true);
  });

  it.each([
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
  ])("CACHE_TTL=%s is %d ms", (text, ms) => {
    expect(parseWorkerConfig({ CACHE_TTL: text }).cache.ttlMs).toBe(ms);
  });

  it("reads the L1 cache", () => {
    const config = parseWorkerConfig({ CACHE_L1_ENABLED: "true", CACHE_L1_MAX_SIZE: "1024" });
    expect(config.cache.l1).toEqual({ enabled: true, maxSizeMB: 1024 });
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

  it("reads authentication settings", () => {
    const config = parseWorkerConfig({
      ALLOWED_ANONYMOUS: "false",
      ANONYMOUS_ROLE: "viewer",
      SECRET_KEY: "s3cr3t",
      AUTH_CONFIG_FILE: "/config/auth.yaml",
    });
    expect(config.auth).toMatchObject({
      allowedAnonymous: false,
      anonymousRole: "viewer",
      secretKey: "s3cr3t",
      configFile: "/config/auth.yaml",
    });
  });

  it("reads OIDC settings, keeping the issuer exactly as written", () => {
    const config = parseWorkerConfig({
      OIDC_ISSUER: "https://accounts.example.com/realms/hugr/",
      OIDC_CLIENT_ID: "hugr",
      OIDC_COOKIE_NAME: "hugr_session",
      OIDC_USERNAME_CLAIM: "preferred_username",
      OIDC_USERID_CLAIM: "uid",
      OIDC_ROLE_CLAIM: "roles",
    });
    expect(config.auth.oidc).toEqual({
      issuer: "https://accounts.example.com/realms/hugr/",
      clientId: "hugr",
      cookieName: "hugr_session",
      usernameClaim: "preferred_username",
      userIdClaim: "uid",
      roleClaim: "roles",
    });
  });

  it("accepts an http OIDC issuer (development identity providers)", () => {
    const config = parseWorkerConfig({ OIDC_ISSUER: "http://keycloak:8080/realms/dev", OIDC_CLIENT_ID: "x" });
    expect(config.auth.oidc.issuer).toBe("http://keycloak:8080/realms/dev");
  });

  it("ignores OIDC_CLIENT_ID without an issuer", () => {
    expect(parseWorkerConfig({ OIDC_CLIENT_ID: "hugr" }).auth.oidc).toMatchObject({
      issuer: undefined,
      clientId: "hugr",
    });
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
    ["BIND without a colon", { BIND: "15000" }, "BIND", 'expected "host:port"'],
    ["BIND without a port", { BIND: "localhost:" }, "BIND", "port must be a number from 0 to 65535"],
    ["BIND with only a colon", { BIND: ":" }, "BIND", "port must be a number"],
    ["BIND with a named port", { BIND: ":http" }, "BIND", "port must be a number"],
    ["BIND with a negative port", { BIND: ":-1" }, "BIND", "port must be a number"],
    ["BIND with a port too high", { BIND: ":65536" }, "BIND", "from 0 to 65535"],
    ["BIND with a long port", { BIND: ":000015000" }, "BIND", "port must be a number"],
    ["BIND with unbracketed IPv6", { BIND: "::1:15000" }, "BIND", "IPv6 hosts must be in brackets"],
    ["BIND with bracketed IPv6 and no port", { BIND: "[::1]" }, "BIND", 'expected "host:port"'],
    ["BIND with a bracketed non-IPv6 host", { BIND: "[localhost]:80" }, "BIND", "not a valid host"],
    ["BIND with a bad IPv4 address", { BIND: "300.1.1.1:80" }, "BIND", "not a valid host"],
    ["BIND with a bad host name", { BIND: "my host:80" }, "BIND", "not a valid host"],
    ["BIND as a URL", { BIND: "http://0.0.0.0:15000" }, "BIND", 'expected "host:port"'],
    ["ADMIN_UI not a boolean", { ADMIN_UI: "enabled" }, "ADMIN_UI", "must be true/false, 1/0 or yes/no"],
    ["ADMIN_UI as on", { ADMIN_UI: "on" }, "ADMIN_UI", "must be true/false"],
    ["CORE_DB_READONLY as 2", { CORE_DB_READONLY: "2" }, "CORE_DB_READONLY", "must be true/false"],
    ["CACHE_L1_ENABLED as y", { CACHE_L1_ENABLED: "y" }, "CACHE_L1_ENABLED", "must be true/false"],
    ["CACHE_L2_ENABLED as t", { CACHE_L2_ENABLED: "t" }, "CACHE_L2_ENABLED", "must be true/false"],
    ["ALLOWED_ANONYMOUS as nope", { ALLOWED_ANONYMOUS: "nope" }, "ALLOWED_ANONYMOUS", "must be true/false"],
    ["LOG_LEVEL unknown", { LOG_LEVEL: "verbose" }, "LOG_LEVEL", "must be one of fatal, error, warn"],
    ["LOG_LEVEL as a number", { LOG_LEVEL: "30" }, "LOG_LEVEL", "must be one of"],
    [
      "CORE_DB_PATH as a DuckDB file",
      { CORE_DB_PATH: "/data/core.duckdb" },
      "CORE_DB_PATH",
      "DuckDB core databases are not supported",
    ],
    [
      "CORE_DB_PATH as a DuckDB file on S3",
      { CORE_DB_PATH: "s3://bucket/core.DuckDB" },
      "CORE_DB_PATH",
      "use a PostgreSQL URL (postgres://...) or a folder for the embedded database",
    ],
    [
      "CORE_DB_PATH as an unparsable URL",
      { CORE_DB_PATH: "postgres://host:port/db" },
      "CORE_DB_PATH",
      "is not a valid PostgreSQL connection URL",
    ],
    [
      "CORE_DB_PATH with another scheme",
      { CORE_DB_PATH: "mysql://db/hugr" },
      "CORE_DB_PATH",
      "only postgres:// and postgresql:// URLs are supported",
    ],
    ["CACHE_TTL bare number", { CACHE_TTL: "10" }, "CACHE_TTL", "missing unit"],
    ["CACHE_TTL unknown unit", { CACHE_TTL: "1x" }, "CACHE_TTL", 'unknown unit "x"'],
    ["CACHE_TTL negative", { CACHE_TTL: "-1s" }, "CACHE_TTL", "negative durations are not allowed"],
    ["CACHE_TTL unit only", { CACHE_TTL: "s" }, "CACHE_TTL", "is not a valid duration"],
    ["CACHE_TTL zero", { CACHE_TTL: "0" }, "CACHE_TTL", "must be greater than zero"],
    ["CACHE_L1_MAX_SIZE zero", { CACHE_L1_MAX_SIZE: "0" }, "CACHE_L1_MAX_SIZE", "must be a positive integer"],
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
    ["OIDC_ISSUER not a URL", { OIDC_ISSUER: "accounts.google.com" }, "OIDC_ISSUER", "must be an http:// or"],
    [
      "OIDC_ISSUER with another scheme",
      { OIDC_ISSUER: "ftp://idp.example", OIDC_CLIENT_ID: "x" },
      "OIDC_ISSUER",
      "must be an http:// or https:// URL",
    ],
    [
      "OIDC_ISSUER without a client id",
      { OIDC_ISSUER: "https://accounts.google.com" },
      "OIDC_CLIENT_ID",
      "is required when OIDC_ISSUER is set",
    ],
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
    [
      "SECRET_KEY with a leading space",
      { SECRET_KEY: " key" },
      "SECRET_KEY",
      "leading or trailing whitespace",
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

  it.each<[string, Env]>([
    ["CLUSTER_SECRET", { ...CLUSTER_ENV, CLUSTER_SECRET: `${secret}\n` }],
    ["SECRET_KEY", { SECRET_KEY: `  ${secret}` }],
  ])("never shows %s in its error", (variable, env) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("(value hidden)");
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  });

  it.each([
    `postgres://hugr:${secret}@db:notaport/hugr`,
    `postgresql://hugr:${secret}@@db:notaport/hugr`,
    `postgres://hugr:${secret}/x@db:notaport/hugr`,
    `postgres://db:notaport/hugr?user=hugr&password=${secret}&sslmode=require`,
  ])("masks the password of CORE_DB_PATH %#", (url) => {
    const error = configError({ CORE_DB_PATH: url });
    expect(error.variable).toBe("CORE_DB_PATH");
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("***");
    expect(error.message).toContain("db:notaport/hugr");
  });

  it("shows the rest of a masked CORE_DB_PATH URL", () => {
    expect(configError({ CORE_DB_PATH: `postgres://hugr:${secret}@db:port/hugr` }).message).toBe(
      'CORE_DB_PATH: is not a valid PostgreSQL connection URL (got "postgres://hugr:***@db:port/hugr")',
    );
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

describe("ConfigError", () => {
  it.each(["CLUSTER_SECRET", "SECRET_KEY", "CACHE_L2_PASSWORD"])("hides the value of %s", (variable) => {
    const error = new ConfigError(variable, "is wrong", "p@ss");
    expect(error.message).toBe(`${variable}: is wrong (value hidden)`);
    expect(error.variable).toBe(variable);
  });

  it("masks passwords in URLs of any variable", () => {
    expect(new ConfigError("CLUSTER_MANAGEMENT_URL", "is wrong", "http://u:pw@management").message).toBe(
      'CLUSTER_MANAGEMENT_URL: is wrong (got "http://u:***@management")',
    );
    expect(new ConfigError("CORE_DB_PATH", "is wrong", "postgres://u@db/x").message).toBe(
      'CORE_DB_PATH: is wrong (got "postgres://u@db/x")',
    );
  });

  it("is an Error that carries no value", () => {
    const error = new ConfigError("BIND", "is wrong", "abc");
    expect(error).toBeInstanceOf(Error);
    expect(Object.values(error)).not.toContain("abc");
  });
});
