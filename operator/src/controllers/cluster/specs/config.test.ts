import { randomBytes } from "node:crypto";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { validSpecs } from "../../../api/v1alpha1/testdata.js";
import {
  buildClusterSecret,
  buildWorkerConfigMap,
  buildWorkerSecret,
  configChecksum,
  generateClusterSecretValue,
  type WorkerInputs,
} from "./config.js";
import { ownerReference } from "./owner.js";
import { demoCluster, demoInputs } from "./testdata.js";

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
  );

const l2 = { enabled: true, backend: "redis" as const, addresses: ["redis-1:6379", "redis-2:6379"] };

describe("buildWorkerConfigMap", () => {
  it("renders the minimal cluster's settings with explicit defaults and no cache keys", () => {
    const configMap = buildWorkerConfigMap(demoCluster(), demoInputs);
    expect(configMap.apiVersion).toBe("v1");
    expect(configMap.kind).toBe("ConfigMap");
    expect(configMap.metadata?.name).toBe("demo-worker");
    expect(configMap.metadata?.namespace).toBe("hugr");
    expect(configMap.metadata?.ownerReferences).toEqual([ownerReference(demoCluster())]);
    expect(configMap.data).toEqual({
      BIND: ":15000",
      HUGR_DATA_DIR: "/var/lib/hugr",
      ADMIN_UI: "true",
      CORE_DB_READONLY: "false",
      CLUSTER_MANAGEMENT_URL: "http://hugr-operator.hugr-system.svc:14000/clusters/hugr/demo",
      CLUSTER_TIMEOUT: "5s",
    });
  });

  it("writes what the spec turns off", () => {
    const cluster = demoCluster({
      adminUI: false,
      coreDB: { urlSecretRef: { name: "db", key: "url" }, readOnly: true },
      cache: { l1: { enabled: false, maxSizeMB: 64 }, l2: { ...l2, enabled: false } },
    });
    const data = buildWorkerConfigMap(cluster, demoInputs).data ?? {};
    expect(data.ADMIN_UI).toBe("false");
    expect(data.CORE_DB_READONLY).toBe("true");
    expect(data.CACHE_L1_ENABLED).toBe("false");
    expect(data.CACHE_L2_ENABLED).toBe("false");
    // A disabled cache's details are not written.
    expect(data).not.toHaveProperty("CACHE_L1_MAX_SIZE");
    expect(data).not.toHaveProperty("CACHE_L2_BACKEND");
    expect(data).not.toHaveProperty("CACHE_L2_ADDRESSES");
  });

  it("configures enabled caches, the L1 size defaulting to 512 MB", () => {
    const data = buildWorkerConfigMap(demoCluster({ cache: { l1: { enabled: true }, l2 } }), demoInputs).data;
    expect(data).toMatchObject({
      CACHE_L1_ENABLED: "true",
      CACHE_L1_MAX_SIZE: "512",
      CACHE_L2_ENABLED: "true",
      CACHE_L2_BACKEND: "redis",
      CACHE_L2_ADDRESSES: "redis-1:6379,redis-2:6379",
    });
    const sized = demoCluster({ cache: { l1: { enabled: true, maxSizeMB: 64 } } });
    expect(buildWorkerConfigMap(sized, demoInputs).data?.CACHE_L1_MAX_SIZE).toBe("64");
  });

  it("renders every cache setting the workers read, in their variables", () => {
    const cluster = demoCluster({
      cache: {
        ttl: "10m",
        l1: { enabled: true, maxItemSizeMB: 8, cleanTime: "1m", evictionTime: "30m" },
        l2: { ...l2, database: 2, username: "hugr" },
      },
    });
    expect(buildWorkerConfigMap(cluster, demoInputs).data).toMatchObject({
      CACHE_TTL: "10m",
      CACHE_L1_MAX_ITEM_SIZE: "8",
      CACHE_L1_CLEAN_TIME: "1m",
      CACHE_L1_EVICTION_TIME: "30m",
      CACHE_L2_DATABASE: "2",
      CACHE_L2_USERNAME: "hugr",
    });
  });

  it("never writes an empty string", () => {
    const cluster = demoCluster({ cache: { l1: {}, l2: { enabled: true, addresses: [] } } });
    const data = buildWorkerConfigMap(cluster, demoInputs).data ?? {};
    expect(Object.values(data)).not.toContain("");
    expect(data).not.toHaveProperty("CACHE_L2_ADDRESSES");
    expect(data.CACHE_L1_ENABLED).toBe("false");
  });

  it("holds no secret and no authentication setting", () => {
    const cluster = demoCluster(validSpecs.HugrCluster);
    const inputs: WorkerInputs = { ...demoInputs, secrets: { ...demoInputs.secrets, cachePassword: "pw" } };
    const data = buildWorkerConfigMap(cluster, inputs).data ?? {};
    const text = JSON.stringify(data);
    for (const secret of ["s3cr3t", "postgres://", '"pw"']) expect(text).not.toContain(secret);
    for (const key of Object.keys(data)) {
      expect(key).not.toMatch(/SECRET|PASSWORD|CORE_DB_PATH|ANONYMOUS|OIDC|AUTH/);
    }
  });
});

describe("buildWorkerSecret", () => {
  it("carries the cluster secret and the core DB URL, base64 in data", () => {
    const secret = buildWorkerSecret(demoCluster(), demoInputs);
    expect(secret).toMatchObject({ apiVersion: "v1", kind: "Secret", type: "Opaque" });
    expect(secret.metadata?.name).toBe("demo-worker");
    expect(secret.stringData).toBeUndefined();
    expect(secret.data?.CLUSTER_SECRET).toBe(Buffer.from("s3cr3t").toString("base64"));
    expect(decode(secret.data)).toEqual({
      CLUSTER_SECRET: "s3cr3t",
      CORE_DB_PATH: "postgres://hugr:pw@db:5432/hugr",
    });
  });

  it("adds the L2 password only when given and the L2 cache is on", () => {
    const withPassword: WorkerInputs = {
      ...demoInputs,
      secrets: { ...demoInputs.secrets, cachePassword: " pässword\n" },
    };
    const on = buildWorkerSecret(demoCluster({ cache: { l2 } }), withPassword);
    // Verbatim, whitespace and non-ASCII included.
    expect(decode(on.data).CACHE_L2_PASSWORD).toBe(" pässword\n");
    expect(buildWorkerSecret(demoCluster({ cache: { l2 } }), demoInputs).data).not.toHaveProperty(
      "CACHE_L2_PASSWORD",
    );
    const off = demoCluster({ cache: { l2: { ...l2, enabled: false } } });
    expect(buildWorkerSecret(off, withPassword).data).not.toHaveProperty("CACHE_L2_PASSWORD");
  });
});

describe("buildClusterSecret", () => {
  it("renders the generated Secret under the documented name and key", () => {
    const secret = buildClusterSecret(demoCluster(), "abc");
    expect(secret).toMatchObject({ apiVersion: "v1", kind: "Secret", type: "Opaque" });
    expect(secret.metadata?.name).toBe("demo-cluster-secret");
    expect(secret.metadata?.namespace).toBe("hugr");
    expect(secret.metadata?.ownerReferences?.[0]?.controller).toBe(true);
    expect(secret.data).toEqual({ "cluster-secret": Buffer.from("abc").toString("base64") });
  });
});

describe("generateClusterSecretValue", () => {
  it("encodes 32 random bytes as base64url", () => {
    const requested: number[] = [];
    const value = generateClusterSecretValue((n) => {
      requested.push(n);
      return Buffer.alloc(n, 0xff);
    });
    expect(requested).toEqual([32]);
    expect(value).toBe(Buffer.alloc(32, 0xff).toString("base64url"));
    expect(value).toHaveLength(43);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("gives a value the worker accepts: no padding, no whitespace", () => {
    const value = generateClusterSecretValue(randomBytes);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(value, "base64url")).toHaveLength(32);
  });

  it("refuses a short read from the random source", () => {
    expect(() => generateClusterSecretValue(() => Buffer.alloc(16))).toThrow(
      "cluster secret: expected 32 random bytes, got 16",
    );
  });
});

describe("configChecksum", () => {
  const configMap = (): V1ConfigMap => buildWorkerConfigMap(demoCluster(), demoInputs);
  const secret = (): V1Secret => buildWorkerSecret(demoCluster(), demoInputs);

  it("is a sha256 hex digest, the same for the same config", () => {
    const sum = configChecksum(configMap(), secret());
    expect(sum).toMatch(/^[0-9a-f]{64}$/);
    expect(configChecksum(configMap(), secret())).toBe(sum);
  });

  it("changes with any setting or secret value", () => {
    const sum = configChecksum(configMap(), secret());
    const adminOff = buildWorkerConfigMap(demoCluster({ adminUI: false }), demoInputs);
    expect(configChecksum(adminOff, secret())).not.toBe(sum);
    const rotated = buildWorkerSecret(demoCluster(), {
      ...demoInputs,
      secrets: { ...demoInputs.secrets, clusterSecret: "rotated" },
    });
    expect(configChecksum(configMap(), rotated)).not.toBe(sum);
  });

  it("keeps ConfigMap and Secret data apart", () => {
    const empty: V1ConfigMap = { data: {} };
    const a = configChecksum({ data: { K: "dg==" } }, { data: {} });
    const b = configChecksum(empty, { data: { K: "dg==" } });
    expect(a).not.toBe(b);
  });

  it("ignores key order and metadata", () => {
    const sum = configChecksum(configMap(), secret());
    const reordered = configMap();
    reordered.data = Object.fromEntries(Object.entries(reordered.data ?? {}).reverse());
    reordered.metadata = { ...reordered.metadata, labels: { other: "label" }, resourceVersion: "42" };
    expect(configChecksum(reordered, secret())).toBe(sum);
  });

  it("reads stringData as the apiserver would merge it into data", () => {
    const viaData: V1Secret = { data: { A: Buffer.from("x").toString("base64") } };
    const viaStringData: V1Secret = { stringData: { A: "x" } };
    expect(configChecksum(configMap(), viaStringData)).toBe(configChecksum(configMap(), viaData));
    const overridden: V1Secret = { data: { A: "b2xk" }, stringData: { A: "x" } };
    expect(configChecksum(configMap(), overridden)).toBe(configChecksum(configMap(), viaData));
  });

  it("tolerates objects without data", () => {
    expect(configChecksum({}, {})).toMatch(/^[0-9a-f]{64}$/);
    expect(configChecksum({ binaryData: { b: "AA==" } }, {})).not.toBe(configChecksum({}, {}));
  });
});
