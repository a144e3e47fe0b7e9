import { describe, expect, it } from "vitest";
import {
  clusterManagementUrl,
  referencedSecretNames,
  resolveCluster,
  type Resolution,
  type SecretData,
} from "./inputs.js";
import { demoCluster } from "./specs/testdata.js";

const OPERATOR = "http://hugr-operator.hugr-system.svc:14000/";

function secrets(entries: Record<string, Record<string, string> | undefined>): SecretData {
  return new Map(Object.entries(entries));
}

const AUTH_FILE = "api-keys:\n  reporting:\n    key: k-123\n    header: x-reporting-key\n";

const base = {
  "demo-cluster-secret": { "cluster-secret": "generated" },
  "hugr-db": { url: "postgres://hugr:pw@db:5432/hugr" },
};

describe("resolveCluster", () => {
  it("resolves the generated cluster secret and the core database URL", () => {
    const result = resolveCluster(demoCluster(), secrets(base), OPERATOR);
    expect(result).toEqual({
      ok: true,
      inputs: {
        managementUrl: "http://hugr-operator.hugr-system.svc:14000/clusters/hugr/demo",
        secrets: { clusterSecret: "generated", coreDbUrl: "postgres://hugr:pw@db:5432/hugr" },
      },
      settings: {
        coreDbUrl: "postgres://hugr:pw@db:5432/hugr",
        coreDbReadOnly: false,
        secret: "generated",
        auth: { allowedAnonymous: true },
      },
    });
  });

  it("reads every referenced Secret: user cluster secret, L2 password, auth key and file, OIDC", () => {
    const cluster = demoCluster({
      clusterSecretRef: { name: "mine", key: "s" },
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" }, readOnly: true },
      cache: {
        l2: {
          enabled: true,
          backend: "redis",
          addresses: ["redis:6379"],
          passwordSecretRef: { name: "redis", key: "password" },
        },
      },
      auth: {
        allowedAnonymous: false,
        anonymousRole: "guest",
        managedApiKeys: true,
        secretKeySecretRef: { name: "auth", key: "key" },
        configSecretRef: { name: "auth", key: "auth.yaml" },
        oidc: { issuer: "https://id.example.com", clientId: "hugr", timeout: "1m30s", tlsInsecure: true },
      },
    });
    expect(referencedSecretNames(cluster)).toEqual(["auth", "hugr-db", "mine", "redis"]);
    const result = resolveCluster(
      cluster,
      secrets({
        ...base,
        mine: { s: "user-secret" },
        redis: { password: "redis-pw" },
        auth: { key: "admin-key", "auth.yaml": AUTH_FILE },
      }),
      OPERATOR,
    );
    if (!result.ok) throw new Error(result.message);
    expect(result.inputs.secrets).toEqual({
      clusterSecret: "user-secret",
      coreDbUrl: "postgres://hugr:pw@db:5432/hugr",
      cachePassword: "redis-pw",
    });
    expect(result.settings.coreDbReadOnly).toBe(true);
    expect(result.settings.auth).toEqual({
      allowedAnonymous: false,
      anonymousRole: "guest",
      secretKey: "admin-key",
      managedApiKeys: true,
      authConfig: { name: "Secret 'auth', key 'auth.yaml'", format: "yaml", contents: AUTH_FILE },
      oidc: {
        issuer: "https://id.example.com",
        clientId: "hugr",
        scopeRolePrefix: "hugr:",
        usernameClaim: "name",
        userIdClaim: "sub",
        roleClaim: "x-hugr-role",
        timeoutMs: 90_000,
        tlsInsecure: true,
      },
    });
  });

  it("ignores the L2 password while the L2 cache is off", () => {
    const cluster = demoCluster({
      cache: { l2: { enabled: false, passwordSecretRef: { name: "redis", key: "p" } } },
    });
    expect(referencedSecretNames(cluster)).not.toContain("redis");
    expect(resolveCluster(cluster, secrets(base), OPERATOR).ok).toBe(true);
  });

  it.each([
    [
      "a missing Secret",
      { "hugr-db": undefined },
      "SecretNotFound",
      "spec.coreDB.urlSecretRef: Secret 'hugr-db' not found",
    ],
    [
      "a missing key",
      { "hugr-db": { other: "x" } },
      "SecretKeyNotFound",
      "spec.coreDB.urlSecretRef: Secret 'hugr-db' has no key 'url' (or it is empty)",
    ],
    [
      "an empty value",
      { "hugr-db": { url: "" } },
      "SecretKeyNotFound",
      "spec.coreDB.urlSecretRef: Secret 'hugr-db' has no key 'url' (or it is empty)",
    ],
  ])("names the field and the Secret for %s, never a value", (_, override, reason, message) => {
    const result = resolveCluster(demoCluster(), secrets({ ...base, ...override }), OPERATOR);
    expect(result).toEqual({ ok: false, reason, message });
  });

  const withAuthFile = (key: string, contents: string, auth: object = {}): Resolution =>
    resolveCluster(
      demoCluster({ auth: { configSecretRef: { name: "hugr-auth", key }, ...auth } }),
      secrets({ ...base, "hugr-auth": { [key]: contents, "secret-key": "admin key\n" } }),
      OPERATOR,
    );

  it.each([
    [
      "an unknown key",
      withAuthFile("auth.yaml", "authentication:\n  allowed_anonymous: false\n"),
      "spec.auth.configSecretRef (Secret 'hugr-auth', key 'auth.yaml'): authentication: unknown key; allowed here: secret-key,",
    ],
    [
      "two keys on one header",
      withAuthFile("auth.json", '{"api_keys": {"a": {"key": "S3cret-a"}, "b": {"key": "S3cret-b"}}}'),
      "spec.auth.configSecretRef (Secret 'hugr-auth', key 'auth.json'): api_keys.b: header x-hugr-api-key is also read by api_keys.a",
    ],
    [
      "a key without a known extension",
      withAuthFile("auth", "{}"),
      "spec.auth.configSecretRef: the key 'auth' must end in .yaml, .yml or .json",
    ],
    [
      "a secret key with a newline",
      withAuthFile("auth.yaml", "# nothing\n", {
        secretKeySecretRef: { name: "hugr-auth", key: "secret-key" },
      }),
      "spec.auth.secretKeySecretRef (Secret 'hugr-auth', key 'secret-key'): has leading or trailing whitespace",
    ],
    [
      "an OIDC timeout of zero",
      withAuthFile("auth.yaml", "# nothing\n", {
        oidc: { issuer: "https://idp/", clientId: "x", timeout: "0s" },
      }),
      'spec.auth.oidc.timeout: must be a duration greater than zero such as "10s"',
    ],
  ])(
    "reports InvalidAuthConfig for %s, naming the field and the file's key, never a secret",
    (_case, result, message) => {
      expect(result).toMatchObject({ ok: false, reason: "InvalidAuthConfig" });
      if (result.ok) return;
      expect(result.message.startsWith(message)).toBe(true);
      expect(result.message).not.toMatch(/S3cret|admin key/);
    },
  );

  it("builds each cluster's management URL under the operator's", () => {
    expect(clusterManagementUrl("http://op:14000", demoCluster())).toBe("http://op:14000/clusters/hugr/demo");
  });
});
