import { GraphQLObjectType, GraphQLSchema, validateSchema, type GraphQLFieldConfigMap } from "graphql";
import type { Logger } from "@hugr/common";
import type { SourceEngine } from "../engine/engine.js";
import type { SourceSchema } from "../engine/graphql/build.js";

/** A data source ready to serve: its root fields and the engine they query. */
export interface ServedSource {
  name: string;
  schema: SourceSchema;
  engine: SourceEngine;
}

/** The schema one request runs on; release it when the request has ended. */
export interface SchemaLease {
  schema: GraphQLSchema;
  release(): void;
}

/**
 * The node's GraphQL schema: the core module plus every loaded data source. Loading or unloading a
 * source composes a new schema and swaps it in at once; a request holds a lease on the schema it
 * started with, so in-flight queries finish on the old one, and a replaced or removed source's
 * engine is closed only when the last request that could use it has released its lease.
 */
export interface ServedSchema {
  acquire(): SchemaLease;
  /** The current schema (for tools and tests; requests use acquire). */
  schema(): GraphQLSchema;
  /**
   * Serves `source`, replacing a source of the same name. Throws, changing nothing, when its fields
   * or types collide with the core module's or another source's.
   */
  put(source: ServedSource): void;
  /** Stops serving a source; false when it was not served. */
  remove(name: string): boolean;
  names(): string[];
  /** Closes every engine (node shutdown, after requests have drained). */
  close(): Promise<void>;
}

interface Instance {
  source: ServedSource;
  /** Snapshots holding this source that are current or still leased by a request. */
  snapshots: number;
  /** Replaced or removed: its engine closes once no snapshot holds it. */
  retired: boolean;
}

interface Snapshot {
  schema: GraphQLSchema;
  instances: readonly Instance[];
  /** Requests running on this schema. */
  leases: number;
}

export function createServedSchema(core: GraphQLSchema, logger: Logger): ServedSchema {
  let current: Snapshot = { schema: core, instances: [], leases: 0 };
  const closing = new Set<Promise<void>>();

  const closeEngine = (instance: Instance): void => {
    const done = instance.source.engine
      .close()
      .catch((error: unknown) =>
        logger.warn({ dataSource: instance.source.name, err: error }, "closing a data source failed"),
      )
      .finally(() => closing.delete(done));
    closing.add(done);
  };
  const closeIfUnused = (instance: Instance): void => {
    if (instance.retired && instance.snapshots === 0) closeEngine(instance);
  };
  /** A snapshot no request uses and no longer current lets go of its sources. */
  const finish = (snapshot: Snapshot): void => {
    for (const instance of snapshot.instances) {
      instance.snapshots--;
      closeIfUnused(instance);
    }
  };
  // Leases count per snapshot, so a request costs the same however many sources are served.
  const swap = (instances: Instance[], retired?: Instance): void => {
    const next: Snapshot = {
      schema: composeSchema(
        core,
        instances.map((i) => i.source),
      ),
      instances,
      leases: 0,
    };
    for (const instance of instances) instance.snapshots++;
    const previous = current;
    current = next;
    if (retired) retired.retired = true;
    if (previous.leases === 0) finish(previous);
  };

  return {
    acquire() {
      const snapshot = current;
      snapshot.leases++;
      let released = false;
      return {
        schema: snapshot.schema,
        release() {
          if (released) return;
          released = true;
          snapshot.leases--;
          if (snapshot.leases === 0 && snapshot !== current) finish(snapshot);
        },
      };
    },
    schema: () => current.schema,
    put(source) {
      const previous = current.instances.find((i) => i.source.name === source.name);
      const others = current.instances.filter((i) => i !== previous);
      swap([...others, { source, snapshots: 0, retired: false }], previous);
    },
    remove(name) {
      const previous = current.instances.find((i) => i.source.name === name);
      if (!previous) return false;
      swap(
        current.instances.filter((i) => i !== previous),
        previous,
      );
      return true;
    },
    names: () => current.instances.map((i) => i.source.name).sort(),
    async close() {
      const instances = current.instances;
      swap([]);
      for (const instance of instances) {
        instance.retired = true;
        closeIfUnused(instance);
      }
      await Promise.all([...closing]);
    },
  };
}

/**
 * The core schema with the sources' root fields added. A root field two parties define, or a type
 * name two sources use (graphql-js refuses those), makes the composition fail with a message naming
 * both, so a load error never leaves the node with a half-composed schema.
 */
function composeSchema(core: GraphQLSchema, sources: readonly ServedSource[]): GraphQLSchema {
  if (sources.length === 0) return core;
  const config = core.toConfig();
  const query = core.getQueryType();
  const mutation = core.getMutationType();
  if (!query || !mutation) throw new Error("the core schema has Query and Mutation types");
  const queryFields = merge(query, sources, (s) => s.schema.query);
  const mutationFields = merge(mutation, sources, (s) => s.schema.mutation);
  let schema: GraphQLSchema;
  try {
    schema = new GraphQLSchema({
      ...config,
      query: new GraphQLObjectType({ ...query.toConfig(), fields: queryFields }),
      mutation: new GraphQLObjectType({ ...mutation.toConfig(), fields: mutationFields }),
      types: config.types.filter((t) => t !== query && t !== mutation),
    });
  } catch (error) {
    throw new Error(`the data source's types collide with existing ones: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const errors = validateSchema(schema);
  if (errors.length > 0)
    throw new Error(`the data source's schema is invalid: ${errors.map((e) => e.message).join("; ")}`);
  return schema;
}

function merge(
  root: GraphQLObjectType,
  sources: readonly ServedSource[],
  fieldsOf: (source: ServedSource) => GraphQLFieldConfigMap<unknown, unknown>,
): GraphQLFieldConfigMap<unknown, unknown> {
  const fields = { ...root.toConfig().fields };
  const owners = new Map(Object.keys(fields).map((name) => [name, "the core module"]));
  for (const source of sources) {
    for (const [name, field] of Object.entries(fieldsOf(source))) {
      const owner = owners.get(name);
      if (owner)
        throw new Error(`${root.name}.${name} of data source '${source.name}' collides with ${owner}`);
      owners.set(name, `data source '${source.name}'`);
      fields[name] = field;
    }
  }
  return fields;
}
