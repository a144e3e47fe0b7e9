/**
 * Results of reads kept in the node's cache (worker/src/cache), as hugr's `@cache` asks: on the field
 * in the query (`@no_cache` and `@invalidate_cache` too), else on the object or on a field the read
 * selects, in their catalog.
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
  type GraphQLDirective,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import type { Cache } from "../../cache/index.js";
import type { AccessRules } from "../access.js";
import { planSelection, type PlannedField } from "../sql/plan.js";
import type { SourceRequestContext } from "../transactions.js";
import { CACHE_DIRECTIVE, INVALIDATE_CACHE_DIRECTIVE, NO_CACHE_DIRECTIVE } from "./directives.js";
import type { CachePolicy } from "./policy.js";

/** What one request does with the cache: the node's cache, and what it owes the response. */
export interface RequestCache {
  cache: Cache;
  /** Tags of what the request wrote: dropped once its writes are committed. */
  written: Set<string>;
  /** The least time left of the results answered from the cache (a Cache-Control max-age). */
  servedFromCache: number | undefined;
  /** The reads the request ran, for the whole-response memo: see {@link ReadsRecord}. */
  reads: ReadsRecord;
  /** The whole-response memo's record of the request (graphql/plugins/use-cached-responses.ts). */
  response?: ResponseRecord;
}

/** How many reads ran, how many of them through the cache, and those results' tags and least time left. */
export interface ReadsRecord {
  count: number;
  cached: number;
  tags: Set<string>;
  leastTtlMs: number | undefined;
}

export interface ResponseRecord {
  /** The response's key (made on first use: most requests never need it). */
  key(): string;
  /** The query and operation asked, which the memo remembers once a response of it is kept. */
  document: string;
  /** The cache's invalidations when the request arrived (`LocalCache.version`). */
  since: number;
  /** Whether the operation is a query made of reads and fields that only pick their parent's values. */
  memoizable: boolean;
  /** Answered from the memo. */
  answered: boolean;
}

export function createRequestCache(cache: Cache): RequestCache {
  return {
    cache,
    written: new Set(),
    servedFromCache: undefined,
    reads: { count: 0, cached: 0, tags: new Set(), leastTtlMs: undefined },
  };
}

/** Tags of the cache: every result read from an object carries its tag; a source's load drops them all. */
export const objectTag = (typeName: string): string => `object:${typeName}`;
export const sourceTag = (source: string): string => `source:${source}`;
/**
 * Every result carries its own key's tag, and so do the responses made of it: `@invalidate_cache`
 * drops both, on every node, before the result is replaced.
 */
const entryTag = (key: string): string => `entry:${key}`;

type Decision = { mode: "read" | "refresh"; policy: CachePolicy };

/**
 * Whether, and how, a field's result is cached: the query's `@no_cache` wins, then its `@cache`,
 * then the catalog's (asked only then: it walks the selection); `@invalidate_cache` reads the source
 * and replaces the kept result.
 */
function decide(info: GraphQLResolveInfo, catalog: () => CachePolicy | undefined): Decision | undefined {
  const query = askedInQuery(info);
  if (query.noCache) return undefined;
  const policy = query.cache ?? catalog();
  return policy && { mode: query.invalidate ? "refresh" : "read", policy };
}

/** What the query's directives on the field ask. */
function askedInQuery(info: GraphQLResolveInfo): {
  cache: CachePolicy | undefined;
  noCache: boolean;
  invalidate: boolean;
} {
  const [node] = info.fieldNodes;
  const values = (directive: GraphQLDirective) =>
    node && getDirectiveValues(directive, node, info.variableValues);
  const cache = values(CACHE_DIRECTIVE) as { ttl?: number; key?: string; tags?: string[] } | undefined;
  return {
    cache: cache && {
      ...(cache.ttl !== undefined && { ttlMs: cache.ttl }),
      ...(cache.key !== undefined && { key: cache.key }),
      tags: cache.tags ?? [],
    },
    noCache: values(NO_CACHE_DIRECTIVE) !== undefined,
    invalidate: values(INVALIDATE_CACHE_DIRECTIVE) !== undefined,
  };
}

/**
 * What the catalog asks of a read: the `@cache` of the object it reads, and that of every field it
 * selects, at any depth (through relations, aggregated too), since the read's one statement is what
 * computes a field's values; undefined when none asks.
 */
function catalogPolicy(
  info: GraphQLResolveInfo,
  objectPolicy: CachePolicy | undefined,
): CachePolicy | undefined {
  const returned = getNamedType(info.returnType);
  const selected = isObjectType(returned) ? fieldPolicies(planSelection(info, returned)) : [];
  return combine(objectPolicy ? [objectPolicy, ...selected] : selected);
}

function fieldPolicies(fields: readonly PlannedField[]): CachePolicy[] {
  return fields.flatMap(({ meta, selection }) => {
    const own = meta.kind === "column" || meta.kind === "field_aggregation" ? meta.field.cache : undefined;
    return own ? [own, ...fieldPolicies(selection)] : fieldPolicies(selection);
  });
}

/**
 * One policy from those a catalog gives a read: the least ttl any gives (a result lives no longer than
 * its most perishable part asks; none: CACHE_TTL) and all their tags. A catalog's `key` is not used:
 * it would give every read of the object, or that selects the field, one entry whatever it asks (a key
 * belongs on the query's field, which asks one thing).
 */
function combine(policies: readonly CachePolicy[]): CachePolicy | undefined {
  if (policies.length === 0) return undefined;
  // ttl 0 is hugr's "no ttl" (the node's CACHE_TTL), as the cache itself reads it.
  const ttls = policies.flatMap(({ ttlMs }) => (ttlMs ? [ttlMs] : []));
  return {
    ...(ttls.length > 0 && { ttlMs: Math.min(...ttls) }),
    tags: [...new Set(policies.flatMap(({ tags }) => tags))],
  };
}

/**
 * Runs `load` (the field's statement) through the cache when the field is cached, else directly.
 * `source` names the data source (its tag), `objectPolicy` is the catalog's `@cache` of the object the
 * field reads.
 */
export async function cachedRead(
  context: unknown,
  info: GraphQLResolveInfo,
  on: { source: string; objectPolicy: CachePolicy | undefined; access: AccessRules | undefined },
  load: () => Promise<unknown[]>,
): Promise<unknown[]> {
  const request = (context as SourceRequestContext | undefined)?.cache;
  if (!request?.cache.enabled) return load();
  request.reads.count++;
  const decision = decide(info, () => catalogPolicy(info, on.objectPolicy));
  if (!decision) return load();
  const { policy } = decision;
  const key = resultKey(info, policy, on.access);
  const options = {
    ...(policy.ttlMs !== undefined && { ttlMs: policy.ttlMs }),
    tags: [sourceTag(on.source), ...objectsRead(info).map(objectTag), ...policy.tags, entryTag(key)],
  };
  if (decision.mode === "refresh") {
    const rows = await load();
    await request.cache.invalidateTags([entryTag(key)]);
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
  if (!loaded || request.response) {
    const left = await request.cache.remainingTtlMs(key);
    if (left !== undefined) {
      if (!loaded) request.servedFromCache = Math.min(request.servedFromCache ?? left, left);
      recordCachedRead(request.reads, left, options.tags);
    }
  }
  return JSON.parse(text.toString()) as unknown[];
}

function recordCachedRead(reads: ReadsRecord, leftMs: number, tags: readonly string[]): void {
  reads.cached++;
  reads.leastTtlMs = Math.min(reads.leastTtlMs ?? leftMs, leftMs);
  for (const tag of tags) reads.tags.add(tag);
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
    print({
      ...node,
      directives: node.directives?.filter((d) => d.name.value !== INVALIDATE_CACHE_DIRECTIVE.name),
    }),
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
