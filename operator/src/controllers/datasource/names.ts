import { createHash } from "node:crypto";
import { DATA_SOURCE_NAME, type HugrDataSource } from "../../api/v1alpha1/index.js";

/**
 * A data source has two names: the one hugr knows it by (a GraphQL name: `web_analytics`) and its
 * resource's metadata.name (a Kubernetes name: no `_`, no capitals). They are the same when the hugr
 * name is a valid resource name; otherwise spec.name carries the hugr name.
 */

/** What the names of a HugrDataSource are read from. */
export type Named = Pick<HugrDataSource, "metadata" | "spec">;

/** The name hugr knows the data source by: spec.name, else metadata.name. */
export const hugrNameOf = (source: Named): string => source.spec.name ?? source.metadata.name ?? "";

/** A resource name stays within a DNS-1123 label, so that `<name>-dsn` is a valid Secret name too. */
const RESOURCE_NAME_MAX = 63;
const HASH_LENGTH = 8;
const AS_IS = new RegExp(DATA_SOURCE_NAME);

/**
 * The metadata.name of the resource for the hugr name `hugrName` (what the GraphQL mirror creates).
 * A hugr name that is a valid resource name is kept as it is; any other becomes a readable form
 * (lowercase, `_` as `-`, cut to fit) plus `-` and 8 hex digits of its SHA-256. Deterministic, and
 * two hugr names never share a resource name: kept names have no `-`, made ones always have one and
 * differ in their hash.
 */
export function resourceNameFor(hugrName: string): string {
  if (AS_IS.test(hugrName) && hugrName.length <= RESOURCE_NAME_MAX) return hugrName;
  const hash = createHash("sha256").update(hugrName, "utf8").digest("hex").slice(0, HASH_LENGTH);
  const readable = hugrName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, RESOURCE_NAME_MAX - HASH_LENGTH - 1)
    .replace(/^-+|-+$/g, "");
  return readable === "" ? `ds-${hash}` : `${readable}-${hash}`;
}

const createdAt = (source: Named): number => {
  const time = source.metadata.creationTimestamp;
  return time === undefined ? Number.POSITIVE_INFINITY : new Date(time).getTime();
};

/**
 * The order in which resources naming one hugr data source claim it: the oldest first (by
 * creationTimestamp, then metadata.name), as the first to exist served it before the others came.
 */
export function claimOrder(a: Named, b: Named): number {
  return createdAt(a) - createdAt(b) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}

/** The other resources of `all` that name the same data source of the same cluster as `source`. */
export function namesakes<T extends Named>(source: Named, all: readonly T[]): T[] {
  const name = hugrNameOf(source);
  return all.filter(
    (other) =>
      other.metadata.name !== source.metadata.name &&
      other.metadata.namespace === source.metadata.namespace &&
      other.spec.clusterRef.name === source.spec.clusterRef.name &&
      hugrNameOf(other) === name,
  );
}

/**
 * The resource that serves `source`'s hugr name in its place: the first claimant among its
 * namesakes when that is not `source` (being deleted or not: its clean-up still owns the name);
 * undefined when `source` serves it.
 */
export function claimedBy<T extends Named>(source: Named, all: readonly T[]): T | undefined {
  const first = [...namesakes(source, all)].sort(claimOrder)[0];
  return first !== undefined && claimOrder(first, source) < 0 ? first : undefined;
}
