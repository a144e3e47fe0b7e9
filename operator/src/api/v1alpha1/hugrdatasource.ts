import { Type, type Static } from "@sinclair/typebox";
import {
  cel,
  type CelRule,
  ClusterRefSchema,
  ConditionsSchema,
  NodeResultsSchema,
  ObservedGenerationSchema,
  secretKeyRef,
  stringEnum,
  type CustomResource,
  nodeCountSchema,
} from "./common.js";

export const HUGR_DATA_SOURCE_KIND = "HugrDataSource";

/**
 * A metadata.name that is the data source's name in hugr as it is: a hugr name that Kubernetes also
 * accepts (lowercase letters and digits; '-' and '.' are not GraphQL, '_' and capitals not Kubernetes).
 */
export const DATA_SOURCE_NAME = "^[a-z][a-z0-9]*$";
/** A data source's name in hugr (a GraphQL name, as the core database checks it): spec.name. */
const HUGR_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
const HUGR_NAME_MAX_LENGTH = 128;

/**
 * The annotation that asks for a reload on every node, whether or not the definition changed (the
 * catalog files changed, say): set it to a new value; status.observedReloadRequest shows the value the
 * last reload answered. `load_data_source` through GraphQL sets it to the time of the call.
 */
export const RELOAD_REQUEST_ANNOTATION = "hugr.io/reload-request";

export const DATA_SOURCE_TYPES = ["postgres", "duckdb", "mysql", "mssql", "http", "extension"] as const;
export const CATALOG_TYPES = ["localFS", "uri", "uriFile", "text"] as const;

const CatalogSchema = Type.Object(
  {
    name: Type.String({
      description: "Catalog name, unique in the data source.",
      minLength: 1,
      maxLength: 256,
    }),
    type: stringEnum(CATALOG_TYPES, {
      description:
        "Where the schema comes from: localFS or uri (a folder or URI of .graphql files), uriFile (one file), text (inline SDL in path).",
    }),
    description: Type.Optional(Type.String({ description: "What the catalog holds.", maxLength: 1024 })),
    path: Type.String({
      description: "Folder, URI or file of the catalog, or the SDL itself for type text.",
      minLength: 1,
      maxLength: 1048576,
    }),
  },
  { description: "A catalog: GraphQL SDL that describes the data source's schema." },
);

export const HugrDataSourceSpecSchema = Type.Object(
  {
    clusterRef: ClusterRefSchema,
    name: Type.Optional(
      Type.String({
        description:
          "The data source's name in hugr, for a name that is not a valid resource name (web_analytics); metadata.name when unset. Immutable.",
        minLength: 1,
        maxLength: HUGR_NAME_MAX_LENGTH,
        pattern: HUGR_NAME,
      }),
    ),
    type: stringEnum(DATA_SOURCE_TYPES, { description: "Kind of data source." }),
    prefix: Type.Optional(
      Type.String({
        description: "Prefix of the GraphQL names generated for this source; none when unset.",
        maxLength: 64,
        pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
      }),
    ),
    description: Type.Optional(Type.String({ description: "What the data source holds.", maxLength: 1024 })),
    path: Type.Optional(
      Type.String({
        description:
          "Connection string or location (DSN, file, URL) without credentials. Exactly one of path and pathSecretRef.",
        minLength: 1,
        maxLength: 4096,
      }),
    ),
    pathSecretRef: Type.Optional(
      secretKeyRef(
        "Secret key holding the connection string, for one that carries a password. Exactly one of path and pathSecretRef.",
      ),
    ),
    readOnly: Type.Optional(
      Type.Boolean({ description: "Expose no mutations for this source.", default: false }),
    ),
    asModule: Type.Optional(
      Type.Boolean({ description: "Put the source's types under its own GraphQL module.", default: false }),
    ),
    selfDefined: Type.Optional(
      Type.Boolean({
        description: "Introspect the source to build its schema when it has no catalog.",
        default: false,
      }),
    ),
    disabled: Type.Optional(
      Type.Boolean({
        description: "Keep the data source registered but unloaded on every node.",
        default: false,
      }),
    ),
    catalogs: Type.Optional(
      Type.Array(CatalogSchema, {
        description: "The catalogs that describe the source's schema.",
        maxItems: 64,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
  },
  {
    description:
      "The desired state of a data source of a hugr cluster; its name in hugr is spec.name, else the resource's metadata.name.",
    ...cel({
      rule: "has(self.path) != has(self.pathSecretRef)",
      message: "exactly one of path and pathSecretRef must be set",
    }),
  },
);
export type HugrDataSourceSpec = Static<typeof HugrDataSourceSpecSchema>;

export const HugrDataSourceStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    loaded: Type.Optional(nodeCountSchema("Ready nodes that have the data source loaded.")),
    total: Type.Optional(nodeCountSchema("Ready nodes of the cluster.")),
    nodes: Type.Optional(NodeResultsSchema),
    observedReloadRequest: Type.Optional(
      Type.String({
        description: `The value of the ${RELOAD_REQUEST_ANNOTATION} annotation that the last reload on every node answered.`,
      }),
    ),
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: "The observed state of the data source." },
);
export type HugrDataSourceStatus = Static<typeof HugrDataSourceStatusSchema>;

/**
 * Rules on the whole resource (only there can a rule read metadata.name). The hugr name is spec.name,
 * else metadata.name, which must then be a hugr name; it never changes, since a renamed source would
 * stay loaded, and its row stay, under the old name.
 */
export const HUGR_DATA_SOURCE_RULES: readonly CelRule[] = [
  {
    rule: `has(self.spec.name) || self.metadata.name.matches('${DATA_SOURCE_NAME}')`,
    message:
      "metadata.name is the data source's name in hugr unless spec.name is set, so it must be lowercase letters and digits starting with a letter; set spec.name for another name (web_analytics)",
    fieldPath: ".metadata.name",
  },
  {
    rule: "(has(self.spec.name) ? self.spec.name : self.metadata.name) == (has(oldSelf.spec.name) ? oldSelf.spec.name : oldSelf.metadata.name)",
    message: "the data source's name in hugr (spec.name, else metadata.name) is immutable",
    fieldPath: ".spec.name",
  },
];

export type HugrDataSource = CustomResource<
  typeof HUGR_DATA_SOURCE_KIND,
  HugrDataSourceSpec,
  HugrDataSourceStatus
>;
