import { Type, type Static } from "@sinclair/typebox";
import {
  cel,
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

/** A HugrDataSource's metadata.name: a valid hugr data source name that Kubernetes also accepts. */
export const DATA_SOURCE_NAME = "^[a-z][a-z0-9]*$";

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
      "The desired state of a data source of a hugr cluster; its name in hugr is the resource's metadata.name.",
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
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: "The observed state of the data source." },
);
export type HugrDataSourceStatus = Static<typeof HugrDataSourceStatusSchema>;

export type HugrDataSource = CustomResource<
  typeof HUGR_DATA_SOURCE_KIND,
  HugrDataSourceSpec,
  HugrDataSourceStatus
>;
