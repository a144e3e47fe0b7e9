import { Type, type Static } from "@sinclair/typebox";
import {
  ClusterRefSchema,
  ConditionsSchema,
  DNS1123_SUBDOMAIN,
  NodeResultsSchema,
  ObservedGenerationSchema,
  secretKeyName,
  stringEnum,
  type CustomResource,
  nodeCountSchema,
} from "./common.js";

export const HUGR_OBJECT_STORAGE_KIND = "HugrObjectStorage";

const CredentialsSecretRefSchema = Type.Object(
  {
    name: Type.String({
      description: "Name of the Secret, in the resource's namespace.",
      minLength: 1,
      maxLength: 253,
      pattern: DNS1123_SUBDOMAIN,
    }),
    keyIDKey: secretKeyName("Key of the access key id in the Secret's data."),
    secretKey: secretKeyName("Key of the secret access key in the Secret's data."),
  },
  { description: "The Secret holding the storage's access key id and secret access key." },
);

export const HugrObjectStorageSpecSchema = Type.Object(
  {
    clusterRef: ClusterRefSchema,
    type: stringEnum(["s3"], { description: "Kind of object storage: s3 (and S3-compatible, e.g. MinIO)." }),
    scope: Type.String({
      description: "What the storage serves, e.g. a bucket (my-bucket or s3://my-bucket).",
      minLength: 1,
      maxLength: 1024,
    }),
    endpoint: Type.String({
      description: "Endpoint of the storage service, e.g. http://minio:9000.",
      minLength: 1,
      maxLength: 2048,
    }),
    region: Type.Optional(Type.String({ description: "Region, e.g. us-east-1.", maxLength: 64 })),
    useSSL: Type.Optional(Type.Boolean({ description: "Talk to the endpoint over TLS.", default: true })),
    urlStyle: Type.Optional(
      stringEnum(["path", "vhost"], {
        description: "Address buckets by path (endpoint/bucket) or by virtual host (bucket.endpoint).",
        default: "path",
      }),
    ),
    urlCompatibility: Type.Optional(
      Type.Boolean({ description: "URL compatibility mode for S3-compatible services.", default: false }),
    ),
    kmsKeyID: Type.Optional(
      Type.String({ description: "KMS key id for server-side encryption.", maxLength: 2048 }),
    ),
    accountID: Type.Optional(
      Type.String({ description: "Account id, where the service needs one.", maxLength: 256 }),
    ),
    credentialsSecretRef: CredentialsSecretRefSchema,
  },
  {
    description:
      "The desired state of an object storage registered on every node of a hugr cluster; its name in hugr is the resource's metadata.name.",
  },
);
export type HugrObjectStorageSpec = Static<typeof HugrObjectStorageSpecSchema>;

export const HugrObjectStorageStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    registered: Type.Optional(nodeCountSchema("Ready nodes that have the storage registered.")),
    total: Type.Optional(nodeCountSchema("Ready nodes of the cluster.")),
    nodes: Type.Optional(NodeResultsSchema),
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: "The observed state of the object storage." },
);
export type HugrObjectStorageStatus = Static<typeof HugrObjectStorageStatusSchema>;

export type HugrObjectStorage = CustomResource<
  typeof HUGR_OBJECT_STORAGE_KIND,
  HugrObjectStorageSpec,
  HugrObjectStorageStatus
>;
