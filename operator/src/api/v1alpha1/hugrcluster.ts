import { Type, type Static } from "@sinclair/typebox";
import {
  cel,
  ConditionsSchema,
  DNS1123_SUBDOMAIN,
  ENV_NAME,
  freeForm,
  intOrString,
  ObservedGenerationSchema,
  quantityMap,
  secretKeyRef,
  stringEnum,
  stringMap,
  type CustomResource,
} from "./common.js";

export const HUGR_CLUSTER_KIND = "HugrCluster";

/**
 * Longest HugrCluster name: it names the Services the operator renders, and `<name>-headless` must
 * stay a 63-character DNS label.
 */
export const HUGR_CLUSTER_NAME_MAX_LENGTH = 54;

const AutoscalingSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description: "Render an autoscaling/v2 HorizontalPodAutoscaler; spec.replicas is then ignored.",
        default: false,
      }),
    ),
    minReplicas: Type.Optional(
      Type.Integer({
        description: "Fewest workers the autoscaler keeps. Required when enabled.",
        format: "int32",
        minimum: 1,
      }),
    ),
    maxReplicas: Type.Optional(
      Type.Integer({
        description: "Most workers the autoscaler starts. Required when enabled.",
        format: "int32",
        minimum: 1,
      }),
    ),
    targetCPUUtilizationPercentage: Type.Optional(
      Type.Integer({
        description: "Average CPU use to aim for, in percent of the requested CPU.",
        format: "int32",
        minimum: 1,
      }),
    ),
    targetMemoryUtilizationPercentage: Type.Optional(
      Type.Integer({
        description: "Average memory use to aim for, in percent of the requested memory.",
        format: "int32",
        minimum: 1,
      }),
    ),
    behavior: Type.Optional(
      freeForm(
        "Scale-up and scale-down behavior, an autoscaling/v2 HorizontalPodAutoscalerBehavior copied into the HPA as written.",
      ),
    ),
  },
  {
    description:
      "Horizontal autoscaling of the workers. While enabled the HPA owns the Deployment's replicas and the operator never reverts them.",
    ...cel(
      {
        rule: "!(has(self.enabled) && self.enabled) || (has(self.minReplicas) && has(self.maxReplicas))",
        message:
          "autoscaling.minReplicas and autoscaling.maxReplicas are required when autoscaling is enabled",
      },
      {
        rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
        message: "autoscaling.minReplicas must not exceed autoscaling.maxReplicas",
      },
    ),
  },
);

const ResourcesSchema = Type.Object(
  {
    requests: Type.Optional(quantityMap("Resources the scheduler reserves for each worker, e.g. cpu: 500m.")),
    limits: Type.Optional(quantityMap("Most resources each worker may use, e.g. memory: 4Gi.")),
  },
  { description: "Compute resources of the worker container (core/v1 ResourceRequirements)." },
);

const CoreDBSchema = Type.Object(
  {
    urlSecretRef: secretKeyRef(
      "Secret key holding the core database URL (CORE_DB_PATH), e.g. postgres://user:password@host:5432/hugr. A Secret, because the URL carries a password.",
    ),
    readOnly: Type.Optional(
      Type.Boolean({
        description:
          "Open the core database read-only (CORE_DB_READONLY); data sources cannot be changed then.",
        default: false,
      }),
    ),
  },
  { description: "The core database every worker shares (PostgreSQL)." },
);

/** A Go duration, as the workers read it. */
const goDuration = (description: string) =>
  Type.String({ description, maxLength: 64, pattern: "^([0-9]+(\\.[0-9]*)?(ns|us|ms|s|m|h))+$" });

const L1CacheSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: "Cache in each worker's memory (CACHE_L1_ENABLED).", default: false }),
    ),
    maxSizeMB: Type.Optional(
      Type.Integer({
        description: "Size of the in-memory cache in MB (CACHE_L1_MAX_SIZE).",
        format: "int32",
        minimum: 1,
        default: 512,
      }),
    ),
    maxItemSizeMB: Type.Optional(
      Type.Integer({
        description:
          "Largest result held in memory, in MB; larger ones stay in L2 only (CACHE_L1_MAX_ITEM_SIZE).",
        format: "int32",
        minimum: 1,
      }),
    ),
    cleanTime: Type.Optional(
      goDuration("How often expired entries are purged, e.g. 1m (CACHE_L1_CLEAN_TIME)."),
    ),
    evictionTime: Type.Optional(
      goDuration("Longest an entry stays in memory, whatever its TTL, e.g. 10m (CACHE_L1_EVICTION_TIME)."),
    ),
  },
  { description: "The in-process (L1) cache." },
);

const L2CacheSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: "Cache shared by all workers (CACHE_L2_ENABLED).", default: false }),
    ),
    backend: Type.Optional(
      stringEnum(["redis", "memcached"], {
        description: "Cache server kind (CACHE_L2_BACKEND). Required when enabled.",
      }),
    ),
    addresses: Type.Optional(
      Type.Array(
        Type.String({
          description: "A cache server as host:port.",
          maxLength: 261,
          pattern: "^(\\[[0-9a-fA-F:.]+\\]|[^\\s:/\\[\\]]+):[0-9]{1,5}$",
        }),
        {
          description: "Cache servers as host:port (CACHE_L2_ADDRESSES). At least one when enabled.",
          maxItems: 32,
        },
      ),
    ),
    database: Type.Optional(
      Type.Integer({
        description: "Redis database number, for a single Redis server (CACHE_L2_DATABASE).",
        format: "int32",
        minimum: 0,
      }),
    ),
    username: Type.Optional(
      Type.String({
        description: "Cache server user name (CACHE_L2_USERNAME).",
        minLength: 1,
        maxLength: 256,
      }),
    ),
    passwordSecretRef: Type.Optional(
      secretKeyRef("Secret key holding the cache password (CACHE_L2_PASSWORD)."),
    ),
  },
  {
    description:
      "The shared (L2) cache; recommended in a cluster, where every node shares its cached results.",
    ...cel({
      rule: "!(has(self.enabled) && self.enabled) || (has(self.backend) && has(self.addresses) && size(self.addresses) > 0)",
      message:
        "cache.l2.backend and at least one cache.l2.addresses entry are required when the L2 cache is enabled",
    }),
  },
);

const CacheSchema = Type.Object(
  {
    ttl: Type.Optional(goDuration("Default time to live of a cached result, e.g. 5m (CACHE_TTL).")),
    l1: Type.Optional(L1CacheSchema),
    l2: Type.Optional(L2CacheSchema),
  },
  { description: "Query caches of the workers." },
);

const OIDCSchema = Type.Object(
  {
    issuer: Type.Optional(
      Type.String({
        description:
          "OIDC issuer URL (OIDC_ISSUER), exactly as the tokens' iss claim; empty or unset turns OIDC off.",
        maxLength: 2048,
        pattern: "^(https?://.+)?$",
      }),
    ),
    clientId: Type.Optional(
      Type.String({
        description: "OIDC client id (OIDC_CLIENT_ID). Required with an issuer.",
        maxLength: 1024,
      }),
    ),
    cookieName: Type.Optional(
      Type.String({
        description: "Cookie holding the token (OIDC_COOKIE_NAME); unset: the Authorization header only.",
        maxLength: 256,
      }),
    ),
    usernameClaim: Type.Optional(
      Type.String({
        description: "Claim with the user name (OIDC_USERNAME_CLAIM).",
        maxLength: 256,
        default: "name",
      }),
    ),
    userIdClaim: Type.Optional(
      Type.String({
        description: "Claim with the user id (OIDC_USERID_CLAIM).",
        maxLength: 256,
        default: "sub",
      }),
    ),
    roleClaim: Type.Optional(
      Type.String({
        description: "Claim with the role (OIDC_ROLE_CLAIM).",
        maxLength: 256,
        default: "x-hugr-role",
      }),
    ),
    scopeRolePrefix: Type.Optional(
      Type.String({
        description:
          "Without a role claim, the first entry of the token's scopes with this prefix names the role (OIDC_SCOPE_ROLE_PREFIX).",
        maxLength: 256,
        default: "hugr:",
      }),
    ),
    timeout: Type.Optional(
      Type.String({
        description:
          "Timeout of discovery and key fetches from the issuer, a duration such as 10s (OIDC_TIMEOUT).",
        maxLength: 64,
        pattern: "^([0-9]+(\\.[0-9]*)?(ns|us|ms|s|m|h))+$",
        default: "10s",
      }),
    ),
    tlsInsecure: Type.Optional(
      Type.Boolean({
        description:
          "hugr's OIDC_TLS_INSECURE, accepted and not supported: workers verify the issuer's certificate and " +
          "log a warning; trust a private CA with NODE_EXTRA_CA_CERTS instead.",
        default: false,
      }),
    ),
  },
  {
    description: "OpenID Connect sign-in.",
    ...cel({
      rule: "!has(self.issuer) || size(self.issuer) == 0 || (has(self.clientId) && size(self.clientId) > 0)",
      message: "auth.oidc.clientId is required when auth.oidc.issuer is set",
    }),
  },
);

const AuthSchema = Type.Object(
  {
    allowedAnonymous: Type.Optional(
      Type.Boolean({
        description: "Serve requests that carry no credentials (ALLOWED_ANONYMOUS).",
        default: true,
      }),
    ),
    anonymousRole: Type.Optional(
      Type.String({
        description:
          "Role of anonymous requests (ANONYMOUS_ROLE). Unset: admin when no authentication is configured at all (no secret key, auth file, OIDC or managed API keys), as in hugr; public otherwise.",
        minLength: 1,
        maxLength: 256,
      }),
    ),
    secretKeySecretRef: Type.Optional(
      secretKeyRef("Secret key holding the admin key, hugr's x-hugr-secret-key header (SECRET_KEY)."),
    ),
    managedApiKeys: Type.Optional(
      Type.Boolean({
        description:
          "Accept the API keys stored in the core database (core.api_keys) in the x-hugr-api-key header (ALLOW_MANAGED_API_KEYS).",
        default: false,
      }),
    ),
    oidc: Type.Optional(OIDCSchema),
    configSecretRef: Type.Optional(
      secretKeyRef(
        "Secret key holding hugr's auth configuration file (AUTH_CONFIG_FILE). The key's extension says how it is read: auth.yaml or auth.yml (YAML), auth.json (JSON). It is checked at every reconcile; a bad file is reported as InvalidAuthConfig and the workers keep the settings they had.",
      ),
    ),
  },
  { description: "Authentication settings the operator distributes to every worker." },
);

const SchedulingSchema = Type.Object(
  {
    nodeSelector: Type.Optional(stringMap("Labels a Kubernetes node must have to run a worker.")),
    tolerations: Type.Optional(
      Type.Array(freeForm("A core/v1 Toleration, copied into the pod template as written."), {
        description: "Taints the workers tolerate.",
        maxItems: 64,
      }),
    ),
    affinity: Type.Optional(freeForm("A core/v1 Affinity, copied into the pod template as written.")),
  },
  { description: "Where the worker pods may run." },
);

const EnvVarSchema = Type.Object(
  {
    name: Type.String({ description: "Variable name.", minLength: 1, maxLength: 256, pattern: ENV_NAME }),
    value: Type.Optional(Type.String({ description: "Literal value.", maxLength: 32768 })),
    valueFrom: Type.Optional(
      freeForm("A core/v1 EnvVarSource (secretKeyRef, configMapKeyRef, fieldRef, ...), copied as written."),
    ),
  },
  {
    description:
      "One environment variable. CLUSTER_SECRET, CLUSTER_MANAGEMENT_URL and CORE_DB_PATH are set by the operator from the spec and cannot be overridden here.",
    ...cel(
      {
        rule: "!(has(self.value) && has(self.valueFrom))",
        message: "env: set value or valueFrom, not both",
      },
      {
        rule: "!(self.name in ['CLUSTER_SECRET', 'CLUSTER_MANAGEMENT_URL', 'CORE_DB_PATH'])",
        message:
          "env: CLUSTER_SECRET, CLUSTER_MANAGEMENT_URL and CORE_DB_PATH are set by the operator (use clusterSecretRef and coreDB.urlSecretRef)",
      },
    ),
  },
);

/** A PDB count: a whole number, or a percentage when a string (the pattern applies to strings only). */
const COUNT_OR_PERCENT = { minimum: 0, pattern: "^[0-9]+%$" };

const PodDisruptionBudgetSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: "Render a PodDisruptionBudget.", default: true })),
    minAvailable: Type.Optional(
      intOrString({
        description:
          "Workers (a number or a percentage such as 50%) that must stay up during voluntary disruptions.",
        ...COUNT_OR_PERCENT,
      }),
    ),
    maxUnavailable: Type.Optional(
      intOrString({
        description:
          "Workers (a number or a percentage such as 25%) that may be down during voluntary disruptions. When neither this nor minAvailable is set: 1.",
        ...COUNT_OR_PERCENT,
      }),
    ),
  },
  {
    description: "The workers' PodDisruptionBudget.",
    ...cel({
      rule: "!(has(self.minAvailable) && has(self.maxUnavailable))",
      message: "podDisruptionBudget: set minAvailable or maxUnavailable, not both",
    }),
  },
);

export const HugrClusterSpecSchema = Type.Object(
  {
    image: Type.String({ description: "Container image of the workers.", minLength: 1, maxLength: 1024 }),
    imagePullPolicy: Type.Optional(
      stringEnum(["Always", "IfNotPresent", "Never"], {
        description: "When the kubelet pulls the image; Kubernetes' default when unset.",
      }),
    ),
    imagePullSecrets: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({
              description: "Name of a docker-registry Secret.",
              minLength: 1,
              maxLength: 253,
              pattern: DNS1123_SUBDOMAIN,
            }),
          },
          { description: "A Secret with registry credentials." },
        ),
        { description: "Secrets used to pull the image.", maxItems: 16 },
      ),
    ),
    replicas: Type.Optional(
      Type.Integer({
        description: "Number of workers; ignored while autoscaling is enabled. Also set by kubectl scale.",
        format: "int32",
        minimum: 0,
        default: 2,
      }),
    ),
    autoscaling: Type.Optional(AutoscalingSchema),
    resources: Type.Optional(ResourcesSchema),
    coreDB: CoreDBSchema,
    cache: Type.Optional(CacheSchema),
    auth: Type.Optional(AuthSchema),
    adminUI: Type.Optional(
      Type.Boolean({
        description: "Serve the AdminUI (GraphiQL) at /admin on every worker (ADMIN_UI).",
        default: true,
      }),
    ),
    clusterSecretRef: Type.Optional(
      secretKeyRef(
        "Secret key holding the secret that authenticates the workers and the operator to each other. When unset the operator generates a Secret <name>-cluster-secret and keeps it.",
      ),
    ),
    serviceType: Type.Optional(
      stringEnum(["ClusterIP", "NodePort", "LoadBalancer"], {
        description: "Type of the Service in front of the workers' GraphQL port.",
        default: "ClusterIP",
      }),
    ),
    scheduling: Type.Optional(SchedulingSchema),
    env: Type.Optional(
      Type.Array(EnvVarSchema, {
        description:
          "Extra environment variables of the worker container, e.g. LOG_LEVEL or CORS_ALLOWED_ORIGINS.",
        maxItems: 128,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
    podDisruptionBudget: Type.Optional(PodDisruptionBudgetSchema),
  },
  { description: "The desired state of the hugr cluster." },
);
export type HugrClusterSpec = Static<typeof HugrClusterSpecSchema>;

const ClusterNodeSchema = Type.Object(
  {
    name: Type.String({ description: "Node name (the worker pod's name)." }),
    url: Type.String({ description: "URL at which the operator reaches the node." }),
    version: Type.Optional(Type.String({ description: "Version the node reported." })),
    ready: Type.Boolean({ description: "Whether the node passed its last health check." }),
    lastSeen: Type.Optional(
      Type.String({ description: "Last successful heartbeat or health check.", format: "date-time" }),
    ),
    error: Type.Optional(Type.String({ description: "Why the node is not ready; empty when it is." })),
  },
  { description: "A work node registered with the operator." },
);

export const HugrClusterStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    replicas: Type.Optional(
      Type.Integer({
        description: "Worker pods that exist (the Deployment's replicas).",
        format: "int32",
        minimum: 0,
      }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ description: "Worker pods that are ready.", format: "int32", minimum: 0 }),
    ),
    registeredNodes: Type.Optional(
      Type.Integer({ description: "Work nodes registered with the operator.", format: "int32", minimum: 0 }),
    ),
    selector: Type.Optional(
      Type.String({ description: "Label selector of the worker pods, for the scale subresource and HPAs." }),
    ),
    nodes: Type.Optional(
      Type.Array(ClusterNodeSchema, {
        description: "The registered work nodes.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: "The observed state of the hugr cluster." },
);
export type HugrClusterStatus = Static<typeof HugrClusterStatusSchema>;

export type HugrCluster = CustomResource<typeof HUGR_CLUSTER_KIND, HugrClusterSpec, HugrClusterStatus>;
