/**
 * What the engine's resolvers do, for the whole-response memo (graphql/plugins/use-cached-responses):
 * a "derived" resolver answers from its parent's value alone (a row's column or relation, a module's
 * empty object); a "read" resolver runs its statement through `cachedRead` (engine/caching), which
 * counts whether the result came from or went to the cache. A query whose every field is one of
 * these, or has graphql-js's default resolver, and whose every read was cached, is made of cached
 * results only. Any other resolver (a function, a Pothos field) keeps its operation out of the memo.
 */
import type { GraphQLFieldResolver } from "graphql";

export type ResolverKind = "derived" | "read";

/** The engine's resolvers take their arguments as a record (build.ts's field configuration). */
type Resolver = GraphQLFieldResolver<unknown, unknown, Record<string, unknown>>;

const kinds = new WeakMap<object, ResolverKind>();

function marked(kind: ResolverKind, resolve: Resolver): Resolver {
  kinds.set(resolve, kind);
  return resolve;
}

export const derivedResolver = (resolve: Resolver): Resolver => marked("derived", resolve);
export const readResolver = (resolve: Resolver): Resolver => marked("read", resolve);

/** The kind of `resolve`, undefined for a resolver the engine did not mark (or none: the default). */
export function resolverKind(resolve: unknown): ResolverKind | undefined {
  return typeof resolve === "function" ? kinds.get(resolve) : undefined;
}
