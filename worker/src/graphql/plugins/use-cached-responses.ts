/**
 * Whole responses made only of cached results, kept in the node's L1 (`Cache.local`) and answered
 * before anything is executed. A cached field's result is still read and completed by graphql-js on
 * every request; when a query's every read is cached (and its other fields only pick values out of
 * their parent's), its response holds nothing the cache does not already hold, so it is kept as is:
 *
 * - under a key of all it depends on: the schema served (a load or unload makes another), the
 *   asker's rules (as field results are scoped), the query, its operation and its variables;
 * - for the least time its results had left, and with their tags (writes, loads and
 *   `cache.invalidate` drop it with them, on every node), plus each result's own key's tag (a refresh
 *   of that result by `@invalidate_cache` drops it);
 * - only when the cache saw no invalidation while the query ran, and the response has no error.
 *
 * It lives in L1 only: every node makes its own from the shared L2 results, and nothing is written to
 * L2 twice. A query is looked up only once one response of it was kept (documents are remembered), so
 * queries that are not cached pay a map lookup.
 */
import { createHash } from "node:crypto";
import {
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import type { RequestAuth } from "../../auth/index.js";
import type { CacheValue } from "../../cache/index.js";
import { type RequestCache } from "../../engine/caching/results.js";
import { resolverKind } from "../../engine/graphql/resolver-kinds.js";
import type { SourceRequestContext } from "../../engine/transactions.js";

/** What the plugin reads from yoga's server context (see yoga.ts). */
interface ResponseContext extends Record<string, unknown> {
  schema: GraphQLSchema;
  auth: RequestAuth;
  cache: RequestCache | undefined;
}

/** Queries whose responses were kept once: at most this many remembered, the oldest forgotten. */
const MAX_DOCUMENTS = 1_000;

export function useCachedResponses(): Plugin<SourceRequestContext, ResponseContext> {
  const documents = new Set<string>();
  const schemaIds = new WeakMap<GraphQLSchema, number>();
  let nextSchemaId = 0;
  const schemaId = (schema: GraphQLSchema): number => {
    let id = schemaIds.get(schema);
    if (id === undefined) schemaIds.set(schema, (id = nextSchemaId++));
    return id;
  };
  const remember = (document: string): void => {
    if (documents.has(document)) return;
    documents.add(document);
    // A Set keeps insertion order: the first is the oldest.
    if (documents.size > MAX_DOCUMENTS) documents.delete(documents.values().next().value as string);
  };

  return {
    onParams({ params, context, setResult }) {
      const request = context.cache;
      const local = request?.cache.local;
      if (!request || !local || typeof params.query !== "string") return;
      const document = documentOf(params);
      const key = once(() => responseKey(schemaId(context.schema), context.auth, params));
      request.response = { key, document, since: local.version(), memoizable: false, answered: false };
      if (!documents.has(document)) return;
      const hit = local.get(key());
      if (!hit) return;
      request.response.answered = true;
      request.servedFromCache = Math.min(request.servedFromCache ?? hit.remainingTtlMs, hit.remainingTtlMs);
      setResult(parsed(hit.value));
    },
    onExecute({ args }) {
      const request = args.contextValue.cache;
      if (request?.response) {
        const { schema, document, operationName } = args as {
          schema: GraphQLSchema;
          document: DocumentNode;
          operationName?: string | null;
        };
        request.response.memoizable = madeOfCachedReads(schema, document, operationName);
      }
    },
    onExecutionResult({ result, context }) {
      const request = context.cache;
      const local = request?.cache.local;
      const ttlMs = request && keepableFor(request, result);
      if (!request?.response || !local || ttlMs === undefined) return;
      const value = Buffer.from(JSON.stringify(result));
      local.set(request.response.key(), value, request.response.since, {
        ttlMs,
        tags: [...request.reads.tags],
      });
      remember(request.response.document);
    },
  };
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * How long the request's response may be kept: the least time its results have left, when it was
 * executed (not answered from the memo), is a memoizable query without errors, and all its reads were
 * cached; else undefined.
 */
function keepableFor(request: RequestCache, result: unknown): number | undefined {
  const { response, reads } = request;
  const keepable =
    response?.memoizable === true &&
    !response.answered &&
    isPlainResult(result) &&
    reads.count > 0 &&
    reads.cached === reads.count;
  return keepable && reads.leastTtlMs !== undefined && reads.leastTtlMs > 0 ? reads.leastTtlMs : undefined;
}

/** One result (not a stream), without errors. */
function isPlainResult(result: unknown): boolean {
  if (!result || typeof result !== "object" || Symbol.asyncIterator in result) return false;
  return !(result as ExecutionResult).errors?.length;
}

/** The query as asked: its text and the operation it names. */
const documentOf = (params: GraphQLParams): string =>
  `${params.operationName ?? ""}\u0000${params.query ?? ""}`;

function responseKey(schema: number, auth: RequestAuth, params: GraphQLParams): string {
  const scope = auth.access?.key ?? auth.permissions.fingerprint;
  const asked = JSON.stringify([
    schema,
    scope,
    params.operationName ?? null,
    params.query,
    params.variables ?? null,
  ]);
  return `response:${createHash("sha256").update(asked).digest("base64url")}`;
}

/**
 * The result a kept response holds, parsed once per entry: L1 hands back the very Buffer it holds,
 * and a result is only serialized by yoga, never changed.
 */
const parsedResults = new WeakMap<object, ExecutionResult>();
function parsed(value: CacheValue): ExecutionResult {
  if (typeof value === "string") return JSON.parse(value) as ExecutionResult;
  let result = parsedResults.get(value);
  if (!result) {
    result = JSON.parse(value.toString()) as ExecutionResult;
    parsedResults.set(value, result);
  }
  return result;
}

/**
 * Whether the operation is a query whose every field has the default resolver or one the engine
 * marked (resolver-kinds.ts), through its fragments; remembered per parsed document (yoga parses a
 * query once) and schema.
 */
const verdicts = new WeakMap<DocumentNode, WeakMap<GraphQLSchema, Map<string, boolean>>>();
function madeOfCachedReads(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  let bySchema = verdicts.get(document);
  if (!bySchema) verdicts.set(document, (bySchema = new WeakMap<GraphQLSchema, Map<string, boolean>>()));
  let byOperation = bySchema.get(schema);
  if (!byOperation) bySchema.set(schema, (byOperation = new Map<string, boolean>()));
  const name = operationName ?? "";
  let verdict = byOperation.get(name);
  if (verdict === undefined) {
    verdict = judge(schema, document, operationName);
    byOperation.set(name, verdict);
  }
  return verdict;
}

function judge(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  const root = schema.getQueryType();
  if (operation?.operation !== OperationTypeNode.QUERY || !root) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const visiting = new Set<string>();
  const accepts = (type: GraphQLObjectType, selections: SelectionSetNode | undefined): boolean =>
    (selections?.selections ?? []).every((selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) return accepts(type, selection.selectionSet);
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (visiting.has(name)) return true;
        visiting.add(name);
        const accepted = accepts(type, fragments.get(name)?.selectionSet);
        visiting.delete(name);
        return accepted;
      }
      const name = selection.name.value;
      if (name.startsWith("__")) return true; // __typename, and introspection: the schema's, scoped by the key
      const field = type.getFields()[name];
      if (!field) return false;
      if (field.resolve !== undefined && resolverKind(field.resolve) === undefined) return false;
      const returned = getNamedType(field.type);
      if (isAbstractType(returned)) return false;
      return !isObjectType(returned) || accepts(returned, selection.selectionSet);
    });
  return accepts(root, operation.selectionSet);
}
