import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Env } from "./readers.js";
import { readAuth, readBind, readCoreDb, readDataDir, readLogLevel, type AuthConfig } from "./sections.js";
import { configError, expectConfigError } from "./test-fixtures.js";

/** The work node's BIND default, as the worker passes it. */
const WORKER_BIND = ":15000";

describe("readBind", () => {
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
    expect(readBind({ BIND: bind }, WORKER_BIND)).toEqual({ host, port });
  });

  it("uses the node's default when BIND is unset, empty or blank", () => {
    expect(readBind({}, ":15000")).toEqual({ host: "", port: 15000 });
    expect(readBind({ BIND: "" }, ":14000")).toEqual({ host: "", port: 14000 });
    expect(readBind({ BIND: "  " }, "127.0.0.1:14000")).toEqual({ host: "127.0.0.1", port: 14000 });
  });

  it.each<[string, Env, string]>([
    ["BIND without a colon", { BIND: "15000" }, 'expected "host:port"'],
    ["BIND without a port", { BIND: "localhost:" }, "port must be a number from 0 to 65535"],
    ["BIND with only a colon", { BIND: ":" }, "port must be a number"],
    ["BIND with a named port", { BIND: ":http" }, "port must be a number"],
    ["BIND with a negative port", { BIND: ":-1" }, "port must be a number"],
    ["BIND with a port too high", { BIND: ":65536" }, "from 0 to 65535"],
    ["BIND with a long port", { BIND: ":000015000" }, "port must be a number"],
    ["BIND with unbracketed IPv6", { BIND: "::1:15000" }, "IPv6 hosts must be in brackets"],
    ["BIND with bracketed IPv6 and no port", { BIND: "[::1]" }, 'expected "host:port"'],
    ["BIND with a bracketed non-IPv6 host", { BIND: "[localhost]:80" }, "not a valid host"],
    ["BIND with a bad IPv4 address", { BIND: "300.1.1.1:80" }, "not a valid host"],
    ["BIND with a bad host name", { BIND: "my host:80" }, "not a valid host"],
    ["BIND as a URL", { BIND: "http://0.0.0.0:15000" }, 'expected "host:port"'],
  ])("refuses %s", (_case, env, fragment) => {
    expectConfigError(
      configError(() => readBind(env, WORKER_BIND)),
      "BIND",
      fragment,
    );
  });

  it("refuses a malformed default too, naming BIND", () => {
    expectConfigError(
      configError(() => readBind({}, "15000")),
      "BIND",
      'expected "host:port"',
    );
  });
});

describe("readLogLevel", () => {
  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const)(
    "LOG_LEVEL=%s",
    (level) => {
      expect(readLogLevel({ LOG_LEVEL: level })).toBe(level);
      expect(readLogLevel({ LOG_LEVEL: level.toUpperCase() })).toBe(level);
    },
  );

  it("defaults to info when unset, empty or blank", () => {
    expect(readLogLevel({})).toBe("info");
    expect(readLogLevel({ LOG_LEVEL: "" })).toBe("info");
    expect(readLogLevel({ LOG_LEVEL: " " })).toBe("info");
  });

  it.each<[string, Env, string]>([
    ["LOG_LEVEL unknown", { LOG_LEVEL: "verbose" }, "must be one of fatal, error, warn"],
    ["LOG_LEVEL as a number", { LOG_LEVEL: "30" }, "must be one of"],
  ])("refuses %s", (_case, env, fragment) => {
    expectConfigError(
      configError(() => readLogLevel(env)),
      "LOG_LEVEL",
      fragment,
    );
  });
});

describe("readDataDir", () => {
  it("defaults to .data", () => {
    expect(readDataDir({})).toBe(".data");
    expect(readDataDir({ HUGR_DATA_DIR: "" })).toBe(".data");
    expect(readDataDir({ HUGR_DATA_DIR: " \t" })).toBe(".data");
  });

  it("reads HUGR_DATA_DIR, trimmed", () => {
    expect(readDataDir({ HUGR_DATA_DIR: "/var/lib/hugr" })).toBe("/var/lib/hugr");
    expect(readDataDir({ HUGR_DATA_DIR: " /var/lib/hugr\n" })).toBe("/var/lib/hugr");
  });
});

describe("readCoreDb", () => {
  it("defaults to an embedded DuckDB file in <dataDir>/core.duckdb", () => {
    expect(readCoreDb({}, ".data")).toEqual({
      kind: "duckdb",
      path: join(".data", "core.duckdb"),
      readOnly: false,
    });
    expect(readCoreDb({}, "/var/lib/hugr")).toEqual({
      kind: "duckdb",
      path: "/var/lib/hugr/core.duckdb",
      readOnly: false,
    });
  });

  it("takes another default name (the management node's)", () => {
    expect(readCoreDb({}, "/var/lib/hugr", { defaultName: "management" })).toEqual({
      kind: "duckdb",
      path: "/var/lib/hugr/management.duckdb",
      readOnly: false,
    });
    expect(
      readCoreDb({ CORE_DB_PATH: "/data/db" }, "/var/lib/hugr", { defaultName: "management" }),
    ).toMatchObject({ dir: "/data/db" });
  });

  it("keeps the PGlite folder an earlier version made as its default, until a DuckDB file is there", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "hugr-data-"));
    try {
      await mkdir(join(dataDir, "core-db"));
      expect(readCoreDb({}, dataDir)).toEqual({
        kind: "pglite",
        dir: join(dataDir, "core-db"),
        readOnly: false,
      });
      await writeFile(join(dataDir, "core.duckdb"), "");
      expect(readCoreDb({}, dataDir)).toMatchObject({ kind: "duckdb", path: join(dataDir, "core.duckdb") });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    "postgres://hugr:password@postgres:5432/hugr_core",
    "postgresql://hugr:password@postgres:5432/hugr_core?sslmode=require",
    "postgres://postgres/hugr_core",
    "POSTGRES://postgres:5432/hugr",
  ])("CORE_DB_PATH=%s is a PostgreSQL core database", (url) => {
    expect(readCoreDb({ CORE_DB_PATH: url }, ".data")).toEqual({
      kind: "postgres",
      url,
      readOnly: false,
    });
  });

  it("CORE_DB_PATH as a secret file value loses its trailing newline", () => {
    const url = "postgres://hugr:password@postgres:5432/hugr_core";
    expect(readCoreDb({ CORE_DB_PATH: `${url}\n` }, ".data")).toMatchObject({ kind: "postgres", url });
  });

  it.each(["/data/core-db", "./core-db", "relative/folder", "/data/core.db", "memory://"])(
    "CORE_DB_PATH=%s is an embedded database folder",
    (dir) => {
      expect(readCoreDb({ CORE_DB_PATH: dir }, "/elsewhere")).toEqual({
        kind: "pglite",
        dir,
        readOnly: false,
      });
    },
  );

  it.each(["/data/core.duckdb", "./core.duckdb", "relative/hugr.DuckDB", "/data/CORE.DUCKDB"])(
    "CORE_DB_PATH=%s is a DuckDB file",
    (path) => {
      expect(readCoreDb({ CORE_DB_PATH: path }, "/elsewhere")).toEqual({
        kind: "duckdb",
        path,
        readOnly: false,
      });
    },
  );

  it.each(["/data/core.duckdb.bak", "/data/duckdb", "/data/core.duckdb/"])(
    "CORE_DB_PATH=%s, not ending in .duckdb, is an embedded database folder",
    (dir) => {
      expect(readCoreDb({ CORE_DB_PATH: dir }, "/elsewhere")).toMatchObject({ kind: "pglite", dir });
    },
  );

  it("CORE_DB_READONLY applies to every kind of core database", () => {
    expect(readCoreDb({ CORE_DB_READONLY: "true" }, ".data").readOnly).toBe(true);
    expect(
      readCoreDb({ CORE_DB_READONLY: "true", CORE_DB_PATH: "postgres://db/hugr" }, ".data").readOnly,
    ).toBe(true);
    expect(readCoreDb({ CORE_DB_READONLY: "true", CORE_DB_PATH: "/data/core.duckdb" }, ".data")).toEqual({
      kind: "duckdb",
      path: "/data/core.duckdb",
      readOnly: true,
    });
  });

  it.each<[string, Env, string, string]>([
    ["CORE_DB_READONLY as 2", { CORE_DB_READONLY: "2" }, "CORE_DB_READONLY", "must be true/false"],
    [
      "CORE_DB_PATH as a DuckDB file on S3",
      { CORE_DB_PATH: "s3://bucket/core.DuckDB" },
      "CORE_DB_PATH",
      "a DuckDB core database must be a local file path, without a URL scheme; remote DuckDB files are not supported",
    ],
    [
      "CORE_DB_PATH as a DuckDB file URL",
      { CORE_DB_PATH: "file:///data/core.duckdb" },
      "CORE_DB_PATH",
      "a DuckDB core database must be a local file path",
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
  ])("refuses %s", (_case, env, variable, fragment) => {
    expectConfigError(
      configError(() => readCoreDb(env, ".data")),
      variable,
      fragment,
    );
  });

  describe("never shows the password", () => {
    const secret = "hunter2-Sup3rS3cret";

    it.each([
      `postgres://hugr:${secret}@db:notaport/hugr`,
      `postgresql://hugr:${secret}@@db:notaport/hugr`,
      `postgres://hugr:${secret}/x@db:notaport/hugr`,
      `postgres://db:notaport/hugr?user=hugr&password=${secret}&sslmode=require`,
    ])("masks the password of CORE_DB_PATH %#", (url) => {
      const error = configError(() => readCoreDb({ CORE_DB_PATH: url }, ".data"));
      expect(error.variable).toBe("CORE_DB_PATH");
      expect(error.message).not.toContain(secret);
      expect(error.message).toContain("***");
      expect(error.message).toContain("db:notaport/hugr");
    });

    it("shows the rest of a masked CORE_DB_PATH URL", () => {
      expect(
        configError(() => readCoreDb({ CORE_DB_PATH: `postgres://hugr:${secret}@db:port/hugr` }, ".data"))
          .message,
      ).toBe(
        'CORE_DB_PATH: is not a valid PostgreSQL connection URL (got "postgres://hugr:***@db:port/hugr")',
      );
    });
  });
});

describe("readCoreDb for a node of a cluster", () => {
  it("refuses a writable DuckDB file, naming CORE_DB_READONLY and why", () => {
    const error = configError(() =>
      readCoreDb({ CORE_DB_PATH: "/data/core.duckdb" }, ".data", { clusterNode: "the management node" }),
    );
    expectConfigError(error, "CORE_DB_READONLY", "must be true for the management node");
    expect(error.message).toContain("CORE_DB_PATH=/data/core.duckdb");
    expect(error.message).toContain("DuckDB allows one writer process per file");
  });

  it.each<[string, Env]>([
    ["a read-only DuckDB file", { CORE_DB_PATH: "/data/core.duckdb", CORE_DB_READONLY: "true" }],
    ["a writable PostgreSQL database", { CORE_DB_PATH: "postgres://db/hugr" }],
    ["the embedded default, a file of its own", {}],
  ])("accepts %s", (_case, env) => {
    expect(() => readCoreDb(env, ".data", { clusterNode: "a work node" })).not.toThrow();
  });
});

describe("readAuth", () => {
  it("gives every variable its default in an empty environment", () => {
    const expected: AuthConfig = {
      allowedAnonymous: true,
      anonymousRole: undefined,
      secretKey: undefined,
      managedApiKeys: false,
      configFile: undefined,
      oidc: {
        issuer: undefined,
        clientId: undefined,
        cookieName: "",
        scopeRolePrefix: "hugr:",
        usernameClaim: "name",
        userIdClaim: "sub",
        roleClaim: "x-hugr-role",
        timeoutMs: 10_000,
        tlsInsecure: false,
      },
    };
    expect(readAuth({})).toEqual(expected);
  });

  it.each([
    ["true", true],
    ["YES", true],
    ["1", true],
    ["False", false],
    ["0", false],
    ["no", false],
  ])("ALLOWED_ANONYMOUS=%j is %s", (text, value) => {
    expect(readAuth({ ALLOWED_ANONYMOUS: text }).allowedAnonymous).toBe(value);
  });

  it("reads authentication settings", () => {
    const auth = readAuth({
      ALLOWED_ANONYMOUS: "false",
      ANONYMOUS_ROLE: "viewer",
      SECRET_KEY: "s3cr3t",
      ALLOW_MANAGED_API_KEYS: "true",
      AUTH_CONFIG_FILE: "/config/auth.yaml",
    });
    expect(auth).toMatchObject({
      allowedAnonymous: false,
      anonymousRole: "viewer",
      secretKey: "s3cr3t",
      managedApiKeys: true,
      configFile: "/config/auth.yaml",
    });
  });

  it("reads OIDC settings, keeping the issuer exactly as written", () => {
    const auth = readAuth({
      OIDC_ISSUER: "https://accounts.example.com/realms/hugr/",
      OIDC_CLIENT_ID: "hugr",
      OIDC_COOKIE_NAME: "hugr_session",
      OIDC_USERNAME_CLAIM: "preferred_username",
      OIDC_USERID_CLAIM: "uid",
      OIDC_ROLE_CLAIM: "roles",
      OIDC_SCOPE_ROLE_PREFIX: "app:",
      OIDC_TIMEOUT: "2.5s",
      OIDC_TLS_INSECURE: "true",
    });
    expect(auth.oidc).toEqual({
      issuer: "https://accounts.example.com/realms/hugr/",
      clientId: "hugr",
      cookieName: "hugr_session",
      scopeRolePrefix: "app:",
      usernameClaim: "preferred_username",
      userIdClaim: "uid",
      roleClaim: "roles",
      timeoutMs: 2_500,
      tlsInsecure: true,
    });
  });

  it("accepts an http OIDC issuer (development identity providers)", () => {
    const auth = readAuth({ OIDC_ISSUER: "http://keycloak:8080/realms/dev", OIDC_CLIENT_ID: "x" });
    expect(auth.oidc.issuer).toBe("http://keycloak:8080/realms/dev");
  });

  it("ignores OIDC_CLIENT_ID without an issuer", () => {
    expect(readAuth({ OIDC_CLIENT_ID: "hugr" }).oidc).toMatchObject({
      issuer: undefined,
      clientId: "hugr",
    });
  });

  it.each<[string, Env, string, string]>([
    ["ALLOWED_ANONYMOUS as nope", { ALLOWED_ANONYMOUS: "nope" }, "ALLOWED_ANONYMOUS", "must be true/false"],
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
    ["OIDC_TIMEOUT not a duration", { OIDC_TIMEOUT: "10" }, "OIDC_TIMEOUT", "is not a valid duration"],
    ["OIDC_TIMEOUT zero", { OIDC_TIMEOUT: "0s" }, "OIDC_TIMEOUT", "must be greater than zero"],
    ["OIDC_TLS_INSECURE as maybe", { OIDC_TLS_INSECURE: "maybe" }, "OIDC_TLS_INSECURE", "must be true/false"],
    [
      "ALLOW_MANAGED_API_KEYS as on",
      { ALLOW_MANAGED_API_KEYS: "on" },
      "ALLOW_MANAGED_API_KEYS",
      "must be true/false",
    ],
    [
      "SECRET_KEY with a leading space",
      { SECRET_KEY: " key" },
      "SECRET_KEY",
      "leading or trailing whitespace",
    ],
  ])("refuses %s", (_case, env, variable, fragment) => {
    expectConfigError(
      configError(() => readAuth(env)),
      variable,
      fragment,
    );
  });

  it("never shows SECRET_KEY in its error", () => {
    const secret = "hunter2-Sup3rS3cret";
    const error = configError(() => readAuth({ SECRET_KEY: `  ${secret}` }));
    expect(error.variable).toBe("SECRET_KEY");
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain("(value hidden)");
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  });
});
