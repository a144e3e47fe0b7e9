import {
  Type,
  type SchemaOptions,
  type Static,
  type TInteger,
  type TLiteral,
  type TObject,
  type TRecord,
  type TString,
  type TUnion,
} from "@sinclair/typebox";

/**
 * Building blocks shared by the three kinds. Every schema here is a TypeBox schema: its JSON Schema
 * becomes the CRD's OpenAPI schema (crds.ts normalizes the few shapes Kubernetes spells differently)
 * and its Static<> type is what the reconcilers read. Keep descriptions user-facing: they are what
 * `kubectl explain` and docs/crds.md show.
 */

export const GROUP = "hugr.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const CATEGORY = "hugr";

/** One rule of `x-kubernetes-validations`; the apiserver reports `message` when `rule` is false. */
export interface CelRule {
  rule: string;
  message: string;
  /** The field the apiserver names in its error (relative to where the rule sits); default that place. */
  fieldPath?: string;
}

/** Options that attach CEL rules to a schema node. */
export const cel = (...rules: CelRule[]): { "x-kubernetes-validations": CelRule[] } => ({
  "x-kubernetes-validations": rules,
});

/** RFC 1123 subdomain: the names of Secrets and of most namespaced objects. */
export const DNS1123_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** RFC 1035 label: Service names, which a HugrCluster's name becomes. */
export const DNS1035_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
/** A key of a Secret's data. */
const SECRET_KEY = "^[-._a-zA-Z0-9]+$";
/** An environment variable name as the kubelet accepts it. */
export const ENV_NAME = "^[-._a-zA-Z][-._a-zA-Z0-9]*$";
/** A resource quantity (`500m`, `2Gi`), the same expression as core/v1's Quantity. */
const QUANTITY =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/** A string enum; Static<> gives the literal union, crds.ts emits `type: string` with `enum`. */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions,
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((value: T[number]) => Type.Literal(value)),
    options,
  );
}

/**
 * An int-or-string (a count or a percentage, a quantity). `pattern` checks the string form and
 * `minimum` the integer form, both for TypeBox's checks and, hoisted by crds.ts, for the apiserver.
 */
export function intOrString(
  options: SchemaOptions & { pattern?: string; minimum?: number },
): TUnion<[TInteger, TString]> {
  const { pattern, minimum, ...rest } = options;
  return Type.Union(
    [
      Type.Integer(minimum === undefined ? {} : { minimum }),
      Type.String(pattern === undefined ? {} : { pattern }),
    ],
    { ...rest, "x-kubernetes-int-or-string": true },
  );
}

/** A map of quantities (resource requests or limits). */
export const quantityMap = (description: string): TRecord<TString, TUnion<[TInteger, TString]>> =>
  Type.Record(
    Type.String(),
    intOrString({ description: "A resource quantity, e.g. 500m or 2Gi.", pattern: QUANTITY }),
    { description, maxProperties: 16 },
  );

/** A map of strings (labels, node selectors). */
export const stringMap = (description: string): TRecord<TString, TString> =>
  Type.Record(Type.String(), Type.String({ description: "A value.", maxLength: 1024 }), {
    description,
    maxProperties: 64,
  });

/**
 * A Kubernetes object kept as written (affinity, tolerations, HPA behavior): the operator copies it
 * into the objects it renders and the apiserver validates it there, so we do not repeat its schema.
 */
export const freeForm = (description: string): TObject =>
  Type.Object({}, { description, "x-kubernetes-preserve-unknown-fields": true });

export const SecretKeyRefSchema = Type.Object(
  {
    name: Type.String({
      description: "Name of the Secret, in the resource's namespace.",
      minLength: 1,
      maxLength: 253,
      pattern: DNS1123_SUBDOMAIN,
    }),
    key: Type.String({
      description: "Key of the value in the Secret's data.",
      minLength: 1,
      maxLength: 253,
      pattern: SECRET_KEY,
    }),
  },
  { description: "A key of a Secret in the same namespace." },
);
export type SecretKeyRef = Static<typeof SecretKeyRefSchema>;

/** A Secret key reference with its own description (the field's meaning). */
export const secretKeyRef = (description: string): typeof SecretKeyRefSchema =>
  Type.Object(SecretKeyRefSchema.properties, { description });

/** A key name inside a Secret, for references that name several keys of one Secret. */
export const secretKeyName = (description: string): TString =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: SECRET_KEY });

/**
 * The HugrCluster a data source or storage belongs to. Immutable: moving a resource to another
 * cluster would leave it loaded on the old one's nodes, so delete and recreate instead.
 */
export const ClusterRefSchema = Type.Object(
  {
    name: Type.String({
      description: "Name of the HugrCluster, in the same namespace. Immutable.",
      minLength: 1,
      maxLength: 63,
      pattern: DNS1035_LABEL,
      ...cel({ rule: "self == oldSelf", message: "clusterRef.name is immutable" }),
    }),
  },
  { description: "The HugrCluster, in the same namespace, whose nodes serve this resource." },
);
export type ClusterRef = Static<typeof ClusterRefSchema>;

/** `metav1.Condition`, with the apiserver's own bounds. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: "Type of the condition in CamelCase: Ready, Progressing or Degraded.",
      maxLength: 316,
      pattern:
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: stringEnum(["True", "False", "Unknown"], { description: "Status of the condition." }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: "The .metadata.generation the condition was set for.",
        format: "int64",
        minimum: 0,
      }),
    ),
    lastTransitionTime: Type.String({
      description: "When the condition last changed status.",
      format: "date-time",
    }),
    reason: Type.String({
      description: "Why the condition has its status, a CamelCase word also used by Events.",
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    }),
    message: Type.String({ description: "Human-readable details; may be empty.", maxLength: 32768 }),
  },
  { description: "One aspect of the resource's state." },
);
export type Condition = Static<typeof ConditionSchema>;

export const ConditionsSchema = Type.Array(ConditionSchema, {
  description: "The latest observations of the resource's state; Ready summarizes them.",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
});

export const ObservedGenerationSchema = Type.Integer({
  description: "The .metadata.generation this status was computed from.",
  format: "int64",
  minimum: 0,
});

/** A load or registration result on one node (data sources and storages). */
export const NodeResultSchema = Type.Object(
  {
    node: Type.String({ description: "Name of the work node." }),
    status: Type.String({
      description:
        "State on that node: attached or detached for a data source, registered or failed for a storage.",
    }),
    error: Type.Optional(
      Type.String({ description: "Why the last attempt on that node failed; empty when it did not." }),
    ),
  },
  { description: "The resource's state on one work node." },
);
export type NodeResult = Static<typeof NodeResultSchema>;

export const NodeResultsSchema = Type.Array(NodeResultSchema, {
  description: "The resource's state on each registered work node.",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["node"],
});

/** A count of work nodes in a status (loaded, registered, total). */
export function nodeCountSchema(description: string): ReturnType<typeof Type.Integer> {
  return Type.Integer({ description, format: "int32", minimum: 0 });
}

/**
 * The part of ObjectMeta that code in this package relies on; structurally compatible with
 * @kubernetes/client-node's V1ObjectMeta so objects read through the client fit.
 */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  /** A string as read raw, a Date through client-node's models. */
  creationTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  /** Set once deletion was requested (a string as read raw, a Date through client-node's models). */
  deletionTimestamp?: string | Date;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
}

/** A custom resource of this group as the apiserver returns it. */
export interface CustomResource<K extends string, Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
