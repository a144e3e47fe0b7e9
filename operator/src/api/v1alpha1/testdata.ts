import type { HugrClusterSpec } from "./hugrcluster.js";
import type { HugrDataSourceSpec } from "./hugrdatasource.js";
import type { HugrObjectStorageSpec } from "./hugrobjectstorage.js";

/**
 * Valid and invalid specs of the three kinds, shared by the unit tier (the OpenAPI part, checked
 * with a JSON Schema validator) and the apiserver tier (every case, CEL included, must be rejected
 * by a real kube-apiserver with `field` and, for CEL, `message` in its error). Not exported from
 * index.ts: test data, not API.
 */

export type Kind = "HugrCluster" | "HugrDataSource" | "HugrObjectStorage";

/** The sketch in DESIGN.md: every one must be accepted. */
export const validSpecs = {
  HugrCluster: {
    image: "ghcr.io/example/hugr-worker:1.0.0",
    replicas: 2,
    autoscaling: {
      enabled: true,
      minReplicas: 2,
      maxReplicas: 10,
      targetCPUUtilizationPercentage: 70,
      targetMemoryUtilizationPercentage: 80,
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
    resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: 2, memory: "4Gi" } },
    coreDB: { urlSecretRef: { name: "hugr-db", key: "url" }, readOnly: false },
    cache: {
      l1: { enabled: true, maxSizeMB: 512 },
      l2: {
        enabled: true,
        backend: "redis",
        addresses: ["redis:6379"],
        passwordSecretRef: { name: "redis", key: "password" },
      },
    },
    auth: {
      allowedAnonymous: true,
      anonymousRole: "anonymous",
      managedApiKeys: true,
      secretKeySecretRef: { name: "hugr-auth", key: "secret-key" },
      oidc: {
        issuer: "",
        clientId: "",
        cookieName: "hugr_session",
        scopeRolePrefix: "app:",
        timeout: "1m30s",
        tlsInsecure: false,
      },
      configSecretRef: { name: "hugr-auth", key: "auth.yaml" },
    },
    adminUI: true,
    clusterSecretRef: { name: "demo-cluster-secret", key: "cluster-secret" },
    serviceType: "ClusterIP",
    scheduling: {
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "hugr", effect: "NoSchedule" }],
      affinity: { podAntiAffinity: {} },
    },
    env: [
      { name: "LOG_LEVEL", value: "debug" },
      { name: "EXTRA", valueFrom: { secretKeyRef: { name: "x", key: "y" } } },
    ],
    podDisruptionBudget: { enabled: true, maxUnavailable: "25%" },
  } satisfies HugrClusterSpec,
  HugrDataSource: {
    clusterRef: { name: "demo" },
    type: "postgres",
    prefix: "an",
    description: "Analytics database",
    pathSecretRef: { name: "analytics-dsn", key: "url" },
    readOnly: false,
    asModule: true,
    selfDefined: false,
    disabled: false,
    catalogs: [
      { name: "analytics_schema", type: "uri", description: "", path: "/workspace/analytics/schema" },
    ],
  } satisfies HugrDataSourceSpec,
  HugrObjectStorage: {
    clusterRef: { name: "demo" },
    type: "s3",
    scope: "my-bucket",
    endpoint: "http://minio:9000",
    region: "us-east-1",
    useSSL: false,
    urlStyle: "path",
    urlCompatibility: false,
    credentialsSecretRef: { name: "minio-credentials", keyIDKey: "key", secretKey: "secret" },
  } satisfies HugrObjectStorageSpec,
};

export interface InvalidCase {
  title: string;
  kind: Kind;
  /** metadata.name when the case is about it; otherwise "demo". */
  name?: string;
  spec: Record<string, unknown>;
  /** Set for an update: the object is created with this (valid) spec first, then changed to `spec`. */
  from?: Record<string, unknown>;
  /** What rejects it: the OpenAPI schema, or a CEL rule (which only an apiserver evaluates). */
  by: "schema" | "cel";
  /** The field the apiserver names in its error, e.g. spec.replicas or spec.env[0]. */
  field: string;
  /** For CEL: the rule's message, which the apiserver reports verbatim. */
  message?: string;
}

const cluster = validSpecs.HugrCluster;
const source = validSpecs.HugrDataSource;
const storage = validSpecs.HugrObjectStorage;
const { image: _image, ...clusterWithoutImage } = cluster;
const { coreDB: _coreDB, ...clusterWithoutCoreDB } = cluster;
const { pathSecretRef: _pathSecretRef, ...sourceWithoutPath } = source;
const { credentialsSecretRef: _credentials, ...storageWithoutCredentials } = storage;

export const invalidCases: readonly InvalidCase[] = [
  {
    title: "HugrCluster name too long for its Services",
    kind: "HugrCluster",
    name: "a".repeat(55),
    spec: cluster,
    by: "schema",
    field: "metadata.name",
  },
  {
    title: "negative replicas",
    kind: "HugrCluster",
    spec: { ...cluster, replicas: -1 },
    by: "schema",
    field: "spec.replicas",
  },
  { title: "no image", kind: "HugrCluster", spec: clusterWithoutImage, by: "schema", field: "spec.image" },
  {
    title: "no core database",
    kind: "HugrCluster",
    spec: clusterWithoutCoreDB,
    by: "schema",
    field: "spec.coreDB",
  },
  {
    title: "unknown service type",
    kind: "HugrCluster",
    spec: { ...cluster, serviceType: "Ingress" },
    by: "schema",
    field: "spec.serviceType",
  },
  {
    title: "Secret name that is not a DNS subdomain",
    kind: "HugrCluster",
    spec: { ...cluster, coreDB: { urlSecretRef: { name: "Hugr_DB", key: "url" } } },
    by: "schema",
    field: "spec.coreDB.urlSecretRef.name",
  },
  {
    title: "resource request that is not a quantity",
    kind: "HugrCluster",
    spec: { ...cluster, resources: { requests: { cpu: "lots" } } },
    by: "schema",
    field: "spec.resources.requests.cpu",
  },
  {
    title: "unknown L2 cache backend",
    kind: "HugrCluster",
    spec: { ...cluster, cache: { l2: { ...cluster.cache.l2, backend: "etcd" } } },
    by: "schema",
    field: "spec.cache.l2.backend",
  },
  {
    title: "L2 cache address without a port",
    kind: "HugrCluster",
    spec: { ...cluster, cache: { l2: { ...cluster.cache.l2, addresses: ["redis"] } } },
    by: "schema",
    field: "spec.cache.l2.addresses[0]",
  },
  {
    title: "environment variable name starting with a digit",
    kind: "HugrCluster",
    spec: { ...cluster, env: [{ name: "1BAD", value: "x" }] },
    by: "schema",
    field: "spec.env[0].name",
  },
  {
    title: "OIDC issuer that is not an http(s) URL",
    kind: "HugrCluster",
    spec: { ...cluster, auth: { oidc: { issuer: "ftp://idp", clientId: "hugr" } } },
    by: "schema",
    field: "spec.auth.oidc.issuer",
  },
  {
    title: "OIDC timeout that is no duration",
    kind: "HugrCluster",
    spec: { ...cluster, auth: { oidc: { issuer: "https://idp", clientId: "hugr", timeout: "10" } } },
    by: "schema",
    field: "spec.auth.oidc.timeout",
  },
  {
    title: "PDB percentage without %",
    kind: "HugrCluster",
    spec: { ...cluster, podDisruptionBudget: { minAvailable: "half" } },
    by: "schema",
    field: "spec.podDisruptionBudget.minAvailable",
  },
  {
    title: "autoscaling enabled without bounds",
    kind: "HugrCluster",
    spec: { ...cluster, autoscaling: { enabled: true, targetCPUUtilizationPercentage: 70 } },
    by: "cel",
    field: "spec.autoscaling",
    message: "autoscaling.minReplicas and autoscaling.maxReplicas are required when autoscaling is enabled",
  },
  {
    title: "autoscaling minReplicas above maxReplicas",
    kind: "HugrCluster",
    spec: { ...cluster, autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } },
    by: "cel",
    field: "spec.autoscaling",
    message: "autoscaling.minReplicas must not exceed autoscaling.maxReplicas",
  },
  {
    title: "L2 cache enabled without addresses",
    kind: "HugrCluster",
    spec: { ...cluster, cache: { l2: { enabled: true, backend: "redis", addresses: [] } } },
    by: "cel",
    field: "spec.cache.l2",
    message:
      "cache.l2.backend and at least one cache.l2.addresses entry are required when the L2 cache is enabled",
  },
  {
    title: "PDB with both minAvailable and maxUnavailable",
    kind: "HugrCluster",
    spec: { ...cluster, podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } },
    by: "cel",
    field: "spec.podDisruptionBudget",
    message: "podDisruptionBudget: set minAvailable or maxUnavailable, not both",
  },
  {
    title: "environment variable with value and valueFrom",
    kind: "HugrCluster",
    spec: {
      ...cluster,
      env: [{ name: "X", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    },
    by: "cel",
    field: "spec.env[0]",
    message: "env: set value or valueFrom, not both",
  },
  {
    title: "environment variable the operator owns",
    kind: "HugrCluster",
    spec: { ...cluster, env: [{ name: "CORE_DB_PATH", value: "postgres://elsewhere/hugr" }] },
    by: "cel",
    field: "spec.env[0]",
    message:
      "env: CLUSTER_SECRET, CLUSTER_MANAGEMENT_URL and CORE_DB_PATH are set by the operator (use clusterSecretRef and coreDB.urlSecretRef)",
  },
  {
    title: "OIDC issuer without client id",
    kind: "HugrCluster",
    spec: { ...cluster, auth: { oidc: { issuer: "https://idp.example.com" } } },
    by: "cel",
    field: "spec.auth.oidc",
    message: "auth.oidc.clientId is required when auth.oidc.issuer is set",
  },
  {
    title: "data source name that is not a hugr name, without spec.name",
    kind: "HugrDataSource",
    name: "web-analytics",
    spec: source,
    by: "cel",
    field: "metadata.name",
    message:
      "metadata.name is the data source's name in hugr unless spec.name is set, so it must be lowercase letters and digits starting with a letter; set spec.name for another name (web_analytics)",
  },
  {
    title: "spec.name that is not a hugr name",
    kind: "HugrDataSource",
    spec: { ...source, name: "web-analytics" },
    by: "schema",
    field: "spec.name",
  },
  {
    title: "data source renamed in hugr",
    kind: "HugrDataSource",
    from: { ...source, name: "web_analytics" },
    spec: { ...source, name: "web_stats" },
    by: "cel",
    field: "spec.name",
    message: "the data source's name in hugr (spec.name, else metadata.name) is immutable",
  },
  {
    title: "unknown data source type",
    kind: "HugrDataSource",
    spec: { ...source, type: "oracle" },
    by: "schema",
    field: "spec.type",
  },
  {
    title: "unknown catalog type",
    kind: "HugrDataSource",
    spec: { ...source, catalogs: [{ name: "c", type: "zip", path: "/c" }] },
    by: "schema",
    field: "spec.catalogs[0].type",
  },
  {
    title: "prefix that is not a GraphQL name",
    kind: "HugrDataSource",
    spec: { ...source, prefix: "1an" },
    by: "schema",
    field: "spec.prefix",
  },
  {
    title: "data source with both path and pathSecretRef",
    kind: "HugrDataSource",
    spec: { ...source, path: "postgres://analytics" },
    by: "cel",
    field: "spec",
    message: "exactly one of path and pathSecretRef must be set",
  },
  {
    title: "data source with neither path nor pathSecretRef",
    kind: "HugrDataSource",
    spec: sourceWithoutPath,
    by: "cel",
    field: "spec",
    message: "exactly one of path and pathSecretRef must be set",
  },
  {
    title: "data source moved to another cluster",
    kind: "HugrDataSource",
    from: source,
    spec: { ...source, clusterRef: { name: "other" } },
    by: "cel",
    field: "spec.clusterRef.name",
    message: "clusterRef.name is immutable",
  },
  {
    title: "storage of an unknown type",
    kind: "HugrObjectStorage",
    spec: { ...storage, type: "gcs" },
    by: "schema",
    field: "spec.type",
  },
  {
    title: "unknown URL style",
    kind: "HugrObjectStorage",
    spec: { ...storage, urlStyle: "virtual" },
    by: "schema",
    field: "spec.urlStyle",
  },
  {
    title: "storage without credentials",
    kind: "HugrObjectStorage",
    spec: storageWithoutCredentials,
    by: "schema",
    field: "spec.credentialsSecretRef",
  },
  {
    title: "storage moved to another cluster",
    kind: "HugrObjectStorage",
    from: storage,
    spec: { ...storage, clusterRef: { name: "other" } },
    by: "cel",
    field: "spec.clusterRef.name",
    message: "clusterRef.name is immutable",
  },
];
