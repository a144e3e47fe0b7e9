/**
 * Results of reads kept in the node's cache (worker/src/cache), as hugr's `@cache` asks: on the
 * object in its catalog, or on the field in the query (`@no_cache` and `@invalidate_cache` too).
 * A result is kept under a key of what it depends on: the field as written, its variables, and the
 * rules of the asker's role (their fingerprint, plus the asker's own values when a rule uses
 * placeholders), so no result ever crosses to a role or user it would not be computed for. It is
 * tagged with the objects it read, which writes through the engine invalidate.
 */
import { createHash } from "node:crypto";
import {
  getDirectiveValues,
  getNamedType,
  isObjectType,
  Kind,
  print,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import type { Cache } from "../../cache/index.js";
import type { AccessRules } from "../access.js";
import type { SourceRequestContext } from "../transactions.js";
import { CACHE_DIRECTIVES } from "./directives.js";
import type { CachePolicy } from "./policy.js";

/** What one request does with the cache: the node's cache, and what it owes the response. */
export interface RequestCache {
  cache: Cache;
  /** Tags of what the request wrote: dropped once its writes are committed. */
  written: Set<string>;
  /** The least time left of the results answered from the cache (a Cache-Control max-age). */
  servedFromCache: number | undefined;
}

export function createRequestCache(cache: Cache): RequestCache {
  return { cache, written: new Set(), servedFromCache: undefined };
}

/** Tags of the cache: every result read from an object carries its tag; a source's load drops them all. */
export const objectTag = (typeName: string): string => `object:${typeName}`;
export const sourceTag = (source: string): string => `source:${source}`;

const [CACHE, NO_CACHE, INVALIDATE_CACHE] = CACHE_DIRECTIVES;

type Decision = { mode: "read" | "refresh"; policy: CachePolicy };

/**
 * Whether, and how, a field's result is cached: the query's `@no_cache` wins, then its `@cache`,
 * then the object's; `@invalidate_cache` reads the source and replaces the kept result.
 */
function decide(info: GraphQLResolveInfo, objectPolicy: CachePolicy | undefined): Decision | undefined {
  const [node] = info.fieldNodes;
  if (!node?.directives?.length) return objectPolicy && { mode: "read", policy: withoutKey(objectPolicy) };
  const values = (directive: (typeof CACHE_DIRECTIVES)[number] | undefined) =>
    directive && getDirectiveValues(directive, node, info.variableValues);
  if (values(NO_CACHE)) return undefined;
  const asked = values(CACHE) as { ttl?: number; key?: string; tags?: string[] } | undefined;
  const policy: CachePolicy | undefined = asked
    ? {
        ...(asked.ttl !== undefined && { ttlMs: asked.ttl }),
        ...(asked.key !== undefined && { key: asked.key }),
        tags: asked.tags ?? [],
      }
    : objectPolicy && withoutKey(objectPolicy);
  if (!policy) return undefined;
  return { mode: values(INVALIDATE_CACHE) ? "refresh" : "read", policy };
}

/**
 * A catalog's `@cache(key:)` would give every query of the object one entry: the object's queries
 * are keyed by what they ask instead (a key belongs on the query's field, which asks one thing).
 */
function withoutKey({ key: _ignored, ...policy }: CachePolicy): CachePolicy {
  return policy;
}

/**
 * Runs `load` (the field's statement) through the cache when the field is cached, else directly.
 * `source` names the data source (its tag), `objectType` the object the field reads.
 */
export async function cachedRead(
  context: unknown,
  info: GraphQLResolveInfo,
  on: { source: string; objectPolicy: CachePolicy | undefined; access: AccessRules | undefined },
  load: () => Promise<unknown[]>,
): Promise<unknown[]> {
  const request = (context as SourceRequestContext | undefined)?.cache;
  if (!request?.cache.enabled) return load();
  const decision = decide(info, on.objectPolicy);
  if (!decision) return load();
  const { policy } = decision;
  const key = resultKey(info, policy, on.access);
  const options = {
    ...(policy.ttlMs !== undefined && { ttlMs: policy.ttlMs }),
    tags: [sourceTag(on.source), ...objectsRead(info).map(objectTag), ...policy.tags],
  };
  if (decision.mode === "refresh") {
    const rows = await load();
    await request.cache.set(key, serialize(rows), options);
    return rows;
  }
  let loaded = false;
  const text = await request.cache.getOrLoad(
    key,
    async () => {
      loaded = true;
      return serialize(await load());
    },
    options,
  );
  if (!loaded) {
    const left = await request.cache.remainingTtlMs(key);
    if (left !== undefined) request.servedFromCache = Math.min(request.servedFromCache ?? left, left);
  }
  return JSON.parse(text.toString()) as unknown[];
}

/**
 * The key of a field's result: the field's name and hugr's explicit key (which names the result:
 * the same key with other arguments or another selection gets the same entry, as in hugr), else a
 * digest of the field as written (its selection and arguments) and the variables; either scoped by
 * the asker's rules.
 */
function resultKey(info: GraphQLResolveInfo, policy: CachePolicy, access: AccessRules | undefined): string {
  const scope = access?.key ?? "";
  // Every node of the field (GraphQL merges a field asked twice), without @invalidate_cache (it
  // refreshes the result the same field reads without it), and the fragments its selection may spread.
  const asked = info.fieldNodes.map((node: FieldNode) =>
    print({ ...node, directives: node.directives?.filter((d) => d.name.value !== INVALIDATE_CACHE?.name) }),
  );
  const fragments = Object.values(info.fragments)
    .map((fragment) => print(fragment))
    .sort();
  const field = `${info.parentType.name}.${info.fieldName}`;
  const what =
    policy.key !== undefined
      ? `${field}:key:${policy.key}`
      : `${field}:${[...asked, ...fragments].join("\n")}:${JSON.stringify(info.variableValues)}`;
  return `result:${createHash("sha256").update(`${what}\u0000${scope}`).digest("base64url")}`;
}

/** Rows as the cache keeps them: JSON, 64-bit integers as strings (as the BigInt scalar writes large ones). */
function serialize(rows: readonly unknown[]): string {
  return JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}

/** The data objects a field's selection reads: what it returns, and what its relations do. */
function objectsRead(info: GraphQLResolveInfo): string[] {
  const found = new Set<string>();
  const visit = (type: GraphQLObjectType, selections: SelectionSetNode | undefined) => {
    const object = (type.extensions as { hugrDataObject?: unknown }).hugrDataObject;
    if (typeof object === "string") found.add(object);
    for (const selection of selections?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const returned = type.getFields()[selection.name.value]?.type;
        const named = returned && getNamedType(returned);
        if (named && isObjectType(named)) visit(named, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(type, selection.selectionSet);
      } else {
        visit(type, info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  const returned = getNamedType(info.returnType);
  if (isObjectType(returned)) for (const node of info.fieldNodes) visit(returned, node.selectionSet);
  return [...found];
}

/** Records that the request wrote objects of these types: their results are dropped at its end. */
export function wrote(context: unknown, typeNames: readonly string[]): void {
  const request = (context as SourceRequestContext | undefined)?.cache;
  for (const typeName of typeNames) request?.written.add(objectTag(typeName));
}
