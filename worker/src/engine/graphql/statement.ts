import { getNamedType, type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo } from "graphql";
import type { AccessRules } from "../access.js";
import type { Querier, SourceEngine } from "../engine.js";
import type { CatalogObject } from "../sql/catalog.js";
import { createCompilation, type Compilation } from "../sql/context.js";
import { planSelection, type PlannedField } from "../sql/plan.js";
import { rowAccess } from "./access.js";
import type { SourceSchemaInput } from "./input.js";

/** order_by on the primary key, so rows written together come back in a stable order. */
export function keyOrder(object: CatalogObject): { field: string }[] {
  return object.pk.map((field) => ({ field: field.name }));
}

export type Compile = (c: Compilation, selection: PlannedField[]) => string;

/** A compiled statement: its SQL text and bound values (never changed once compiled). */
interface Statement {
  sql: string;
  params: readonly unknown[];
}

/**
 * Compiles the field's selection (`info`) into one statement for `engine`'s dialect, with the row
 * filters of the request's role (`access`).
 */
function compileStatement(
  input: SourceSchemaInput,
  on: { engine: SourceEngine; access: AccessRules | undefined },
  info: GraphQLResolveInfo,
  compile: Compile,
): Statement {
  const { engine, access } = on;
  const c = createCompilation(input.catalog, engine.dialect, access && rowAccess(input, access, info));
  const sql = compile(c, planSelection(info, getNamedType(info.returnType) as GraphQLObjectType));
  return { sql, params: c.params.values };
}

/**
 * Compiles the field's selection into one statement, runs it (on `querier`: the request's
 * transaction for writes, the engine for reads), and returns the rows' JSON.
 */
export async function runStatement(
  input: SourceSchemaInput,
  on: { engine: SourceEngine; querier?: Querier; access: AccessRules | undefined },
  info: GraphQLResolveInfo,
  compile: Compile,
): Promise<unknown[]> {
  const { engine, querier = engine, access } = on;
  return runCompiled(engine, querier, compileStatement(input, { engine, access }, info, compile));
}

async function runCompiled(engine: SourceEngine, querier: Querier, statement: Statement): Promise<unknown[]> {
  const rows = await querier.query(statement.sql, statement.params);
  return rows.map((r) => engine.dialect.parseJson(r["row"]));
}

/** Statements kept per document field: its variable values (and dialect) seldom vary much. */
const STATEMENTS_PER_FIELD = 16;

/**
 * Runs read fields like {@link runStatement}, compiling each field of a document once. yoga keeps
 * parsed documents, so a repeated query reaches the resolver with the same field node; its
 * statement depends only on that node (selection, arguments), the variables, the dialect, the
 * role's rules (their key) and the catalog, which is this schema's. Planning and compiling on every request cost part of the core
 * listing's throughput under load (docs/benchmarks.md). A field merged from several nodes (one
 * response key given twice) is compiled each time.
 */
export function createReadRunner(
  input: SourceSchemaInput,
): (
  engine: SourceEngine,
  info: GraphQLResolveInfo,
  compile: Compile,
  access: AccessRules | undefined,
) => Promise<unknown[]> {
  const compiled = new WeakMap<FieldNode, Map<string, Statement>>();
  return (engine, info, compile, access) => {
    const [node, ...others] = info.fieldNodes;
    if (!node || others.length > 0) return runStatement(input, { engine, access }, info, compile);
    let statements = compiled.get(node);
    if (!statements) compiled.set(node, (statements = new Map<string, Statement>()));
    const key = `${engine.dialect.name}\u0000${access?.key ?? ""}\u0000${JSON.stringify(info.variableValues)}`;
    let statement = statements.get(key);
    if (!statement) {
      statement = compileStatement(input, { engine, access }, info, compile);
      if (statements.size >= STATEMENTS_PER_FIELD) statements.clear();
      statements.set(key, statement);
    }
    return runCompiled(engine, engine, statement);
  };
}
