import type { TSchema } from "@sinclair/typebox";
import { CATEGORY, DNS1035_LABEL, GROUP, VERSION, type CelRule } from "./common.js";
import {
  HUGR_CLUSTER_KIND,
  HUGR_CLUSTER_NAME_MAX_LENGTH,
  HugrClusterSpecSchema,
  HugrClusterStatusSchema,
} from "./hugrcluster.js";
import {
  HUGR_DATA_SOURCE_KIND,
  HUGR_DATA_SOURCE_RULES,
  HugrDataSourceSpecSchema,
  HugrDataSourceStatusSchema,
} from "./hugrdatasource.js";
import {
  HUGR_OBJECT_STORAGE_KIND,
  HugrObjectStorageSpecSchema,
  HugrObjectStorageStatusSchema,
} from "./hugrobjectstorage.js";

/** apiextensions.k8s.io/v1 JSONSchemaProps: the keywords this package emits. */
export interface JSONSchemaProps {
  type?: string;
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: CelRule[];
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** The parts of apiextensions.k8s.io/v1 CustomResourceDefinition this package fills in. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Namespaced";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: {
        status: Record<string, never>;
        scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
      };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

type JsonObject = { [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A union of string literals, as TypeBox spells an enum. */
function literalStrings(anyOf: unknown): string[] | undefined {
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined;
  const values = anyOf.map((member) => (isObject(member) ? member.const : undefined));
  return values.every((value): value is string => typeof value === "string") ? values : undefined;
}

/**
 * TypeBox's JSON Schema as Kubernetes wants it. A structural schema forbids `type` inside `anyOf`
 * (except int-or-string's exact pair) and has no `const` or `patternProperties`, so enums become
 * `enum` and records `additionalProperties`; empty `properties` of free-form objects are dropped.
 * TypeBox's own markers are symbols, which the JSON round trip leaves behind.
 */
export function toOpenAPISchema(schema: TSchema): JSONSchemaProps {
  return normalize(JSON.parse(JSON.stringify(schema)));
}

/**
 * `anyOf` as Kubernetes accepts it: an enum for a union of string literals; for int-or-string the bare
 * pair `[{type: integer}, {type: string}]`, the members' checks moved onto the node (the apiserver
 * applies `pattern` to strings and `minimum` to integers only, so their meaning is unchanged).
 */
function alternatives(keywords: JsonObject, anyOf: unknown): JsonObject {
  if (!Array.isArray(anyOf)) return {};
  const literals = literalStrings(anyOf);
  if (literals) return { type: "string", enum: literals };
  if (keywords["x-kubernetes-int-or-string"] !== true) return { anyOf: anyOf.map(normalize) };
  const checks = anyOf.reduce<JsonObject>((all, member) => {
    const { type: _type, ...memberChecks } = isObject(member) ? member : {};
    return { ...all, ...memberChecks };
  }, {});
  return { ...checks, anyOf: [{ type: "integer" }, { type: "string" }] };
}

function normalize(node: unknown): JSONSchemaProps {
  if (!isObject(node)) throw new Error(`not a schema: ${JSON.stringify(node)}`);
  const { anyOf, patternProperties, properties, items, additionalProperties, ...keywords } = node;
  const out: JsonObject = { ...keywords, ...alternatives(keywords, anyOf) };
  // A one-value enum: TypeBox gives a lone literal, not a union.
  if (typeof keywords.const === "string") {
    delete out.const;
    out.enum = [keywords.const];
  }
  if (items !== undefined) out.items = normalize(items);
  if (isObject(additionalProperties)) out.additionalProperties = normalize(additionalProperties);
  // TypeBox spells a record `patternProperties: { "^(.*)$": value }`: any key, i.e. additionalProperties.
  if (isObject(patternProperties)) out.additionalProperties = normalize(Object.values(patternProperties)[0]);
  if (isObject(properties) && Object.keys(properties).length > 0) {
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, normalize(value)]),
    );
  }
  return out;
}

interface KindDefinition {
  kind: string;
  plural: string;
  shortName: string;
  description: string;
  spec: TSchema;
  status: TSchema;
  columns: PrinterColumn[];
  /** Restrictions on metadata.name; Kubernetes allows no other metadata schema. */
  name?: JSONSchemaProps;
  /** CEL rules on the whole resource: the only place a rule can read metadata.name. */
  rules?: readonly CelRule[];
  scale?: boolean;
}

const readyColumn: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "Status of the Ready condition.",
};
const ageColumn: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const clusterColumn: PrinterColumn = {
  name: "Cluster",
  type: "string",
  jsonPath: ".spec.clusterRef.name",
  description: "The HugrCluster.",
};
const typeColumn: PrinterColumn = { name: "Type", type: "string", jsonPath: ".spec.type" };
const totalColumn: PrinterColumn = {
  name: "Total",
  type: "integer",
  jsonPath: ".status.total",
  description: "Ready nodes of the cluster.",
};

function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const lower = def.kind.toLowerCase();
  const metadata: JSONSchemaProps = def.name
    ? { type: "object", properties: { name: def.name } }
    : { type: "object" };
  const openAPIV3Schema: JSONSchemaProps = {
    type: "object",
    description: def.description,
    required: ["spec"],
    properties: {
      apiVersion: {
        type: "string",
        description: "Versioned schema of this representation of an object, here hugr.io/v1alpha1.",
      },
      kind: { type: "string", description: `REST resource this object represents, here ${def.kind}.` },
      metadata,
      spec: toOpenAPISchema(def.spec),
      status: toOpenAPISchema(def.status),
    },
    ...(def.rules ? { "x-kubernetes-validations": [...def.rules] } : {}),
  };
  const scale = {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".status.selector",
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: lower,
        shortNames: [def.shortName],
        categories: [CATEGORY],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          subresources: def.scale ? { status: {}, scale } : { status: {} },
          additionalPrinterColumns: [...def.columns, ageColumn],
        },
      ],
    },
  };
}

export const hugrClusterCrd = buildCrd({
  kind: HUGR_CLUSTER_KIND,
  plural: "hugrclusters",
  shortName: "hc",
  description:
    "HugrCluster is a hugr deployment: work nodes serving GraphQL, registered with the operator, sharing a core database.",
  spec: HugrClusterSpecSchema,
  status: HugrClusterStatusSchema,
  name: { type: "string", maxLength: HUGR_CLUSTER_NAME_MAX_LENGTH, pattern: DNS1035_LABEL },
  scale: true,
  columns: [
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas", description: "Desired workers." },
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas", description: "Ready worker pods." },
    {
      name: "Registered",
      type: "integer",
      jsonPath: ".status.registeredNodes",
      description: "Work nodes registered with the operator.",
    },
    { ...readyColumn, name: "Status" },
  ],
});

export const hugrDataSourceCrd = buildCrd({
  kind: HUGR_DATA_SOURCE_KIND,
  plural: "hugrdatasources",
  shortName: "hds",
  description: "HugrDataSource is a data source loaded on every node of a HugrCluster.",
  spec: HugrDataSourceSpecSchema,
  status: HugrDataSourceStatusSchema,
  // Without spec.name the name is the data source's name in hugr too (HUGR_DATA_SOURCE_RULES); the
  // bound keeps the rule that reads it cheap, and `<name>-dsn` a valid Secret name.
  name: { type: "string", maxLength: 63 },
  rules: HUGR_DATA_SOURCE_RULES,
  columns: [
    clusterColumn,
    typeColumn,
    {
      name: "Loaded",
      type: "integer",
      jsonPath: ".status.loaded",
      description: "Nodes with the source loaded.",
    },
    totalColumn,
    readyColumn,
  ],
});

export const hugrObjectStorageCrd = buildCrd({
  kind: HUGR_OBJECT_STORAGE_KIND,
  plural: "hugrobjectstorages",
  shortName: "hos",
  description: "HugrObjectStorage is an object storage (S3) registered on every node of a HugrCluster.",
  spec: HugrObjectStorageSpecSchema,
  status: HugrObjectStorageStatusSchema,
  columns: [
    clusterColumn,
    typeColumn,
    { name: "Scope", type: "string", jsonPath: ".spec.scope" },
    {
      name: "Registered",
      type: "integer",
      jsonPath: ".status.registered",
      description: "Nodes with the storage registered.",
    },
    totalColumn,
    readyColumn,
  ],
});

/** The three CRDs, in the order they are written and documented. */
export const crds: readonly CustomResourceDefinition[] = [
  hugrClusterCrd,
  hugrDataSourceCrd,
  hugrObjectStorageCrd,
];

/** Where a kind lives in the API: what clients, watches and status patches need. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** The resource name in URLs, e.g. `hugrclusters`. */
  plural: string;
}

const resourceOf = (crd: CustomResourceDefinition): ResourceType => ({
  group: crd.spec.group,
  version: VERSION,
  kind: crd.spec.names.kind,
  plural: crd.spec.names.plural,
});

export const HUGR_CLUSTER_RESOURCE = resourceOf(hugrClusterCrd);
export const HUGR_DATA_SOURCE_RESOURCE = resourceOf(hugrDataSourceCrd);
export const HUGR_OBJECT_STORAGE_RESOURCE = resourceOf(hugrObjectStorageCrd);
