import { describe, expect, it } from "vitest";
import { clusterManagementUrl, referencedSecretNames, resolveCluster, type SecretData } from "./inputs.js";
import { demoCluster } from "./specs/testdata.js";

const OPERATOR = "http://hugr-operator.hugr-system.svc:14000/";

function secrets(entries: Record<string, Record<string, string> | undefined>): SecretData {
  return new Map(Object.entries(entries));
}

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
        auth: { allowedAnonymous: true, anonymousRole: "anonymous" },
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
        secretKeySecretRef: { name: "auth", key: "key" },
        configSecretRef: { name: "auth", key: "auth.yaml" },
        oidc: { issuer: "https://id.example.com", clientId: "hugr" },
      },
    });
    expect(referencedSecretNames(cluster)).toEqual(["auth", "hugr-db", "mine", "redis"]);
    const result = resolveCluster(
      cluster,
      secrets({
        ...base,
        mine: { s: "user-secret" },
        redis: { password: "redis-pw" },
        auth: { key: "admin-key", "auth.yaml": "roles: []\n" },
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
      anonymousRole: "anonymous",
      secretKey: "admin-key",
      authConfig: "roles: []\n",
      oidc: {
        issuer: "https://id.example.com",
        clientId: "hugr",
        usernameClaim: "name",
        userIdClaim: "sub",
        roleClaim: "x-hugr-role",
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

  it("builds each cluster's management URL under the operator's", () => {
    expect(clusterManagementUrl("http://op:14000", demoCluster())).toBe("http://op:14000/clusters/hugr/demo");
  });
});
