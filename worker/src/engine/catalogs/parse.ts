/**
 * Turns hugr catalog SDL into the {@link CatalogModel}. The supported subset is tables and views with
 * scalar and list fields, `@pk`, `@field_source`, `@default`, `@unique`, relations declared with
 * `@field_references` / `@references`, and many-to-many relations through link tables
 * (`@table(is_m2m: true)`). Anything else is refused with its `origin:line:column`, so a catalog
 * never loads with parts silently ignored.
 */
import {
  getLocation,
  GraphQLError,
  Kind,
  parse,
  Source,
  valueFromASTUntyped,
  type ASTNode,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type TypeNode,
} from "graphql";
import { parseInterval, type CachePolicy } from "../caching/policy.js";
import { CatalogError } from "./errors.js";
import {
  SCALAR_NAMES,
  type CatalogModel,
  type FieldModel,
  type ObjectModel,
  type RelationModel,
  type ScalarName,
} from "./model.js";
import type { CatalogDocument } from "./read.js";

/**
 * What a directive argument must be: a string, a list of strings (a lone string counts as one), a
 * boolean, or any literal.
 */
type ArgKind = "string" | "strings" | "boolean" | "value";

type Location = "type" | "field";

interface DirectiveSpec {
  /** Where the directive may go in a catalog. */
  on: readonly Location[];
  repeatable: boolean;
  args: Readonly<Record<string, { kind: ArgKind; required?: true }>>;
}

const RELATION_ARGS = {
  name: { kind: "string" },
  references_name: { kind: "string", required: true },
  query: { kind: "string" },
  description: { kind: "string" },
  references_query: { kind: "string" },
  references_description: { kind: "string" },
} as const;

const DIRECTIVES: ReadonlyMap<string, DirectiveSpec> = new Map<string, DirectiveSpec>([
  [
    "table",
    {
      on: ["type"],
      repeatable: false,
      args: { name: { kind: "string", required: true }, is_m2m: { kind: "boolean" } },
    },
  ],
  [
    "view",
    {
      on: ["type"],
      repeatable: false,
      args: { name: { kind: "string", required: true }, sql: { kind: "string" } },
    },
  ],
  [
    "unique",
    {
      on: ["type"],
      repeatable: true,
      args: { fields: { kind: "strings", required: true }, query_suffix: { kind: "string" } },
    },
  ],
  [
    "references",
    {
      on: ["type"],
      repeatable: true,
      args: {
        ...RELATION_ARGS,
        source_fields: { kind: "strings", required: true },
        references_fields: { kind: "strings", required: true },
      },
    },
  ],
  [
    "cache",
    {
      on: ["type", "field"],
      repeatable: false,
      args: { ttl: { kind: "value" }, key: { kind: "string" }, tags: { kind: "strings" } },
    },
  ],
  ["pk", { on: ["field"], repeatable: false, args: {} }],
  ["field_source", { on: ["field"], repeatable: false, args: { field: { kind: "string", required: true } } }],
  [
    "default",
    { on: ["field"], repeatable: false, args: { value: { kind: "value" }, sequence: { kind: "string" } } },
  ],
  [
    "field_references",
    { on: ["field"], repeatable: true, args: { ...RELATION_ARGS, field: { kind: "string" } } },
  ],
]);

/** hugr directives that this server does not implement: named as such, so the message is not "unknown". */
const UNSUPPORTED_HUGR_DIRECTIVES = new Set([
  "function",
  "join",
  "module",
  "args",
  "named",
  "cube",
  "measurement",
  "hypertable",
  "timescale_key",
  "sql",
  "geometry_info",
  "filter_required",
  "function_call",
  "table_function_call_join",
  "dependency",
]);

/** hugr's cache directives of queries: its base schema declares them `on FIELD`, so no catalog has them. */
const QUERY_DIRECTIVES = new Set(["no_cache", "invalidate_cache"]);

const SUPPORTED_DIRECTIVES =
  "@table, @view, @unique, @references and @cache on types; @pk, @field_source, @default, @field_references and @cache on fields";

/** hugr's names: GraphQL names, without the `__` prefix GraphQL reserves for introspection. */
const HUGR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ARG_KIND_WORDS: Record<ArgKind, string> = {
  string: "a non-empty string",
  strings: "a non-empty list of non-empty strings",
  boolean: "true or false",
  value: "a literal",
};

interface Directive {
  name: string;
  node: ConstDirectiveNode;
  args: Readonly<Record<string, unknown>>;
}

/** An object being built, with the AST it came from (for error locations). */
interface Declared {
  model: ObjectModel;
  node: ObjectTypeDefinitionNode;
  directives: Directive[];
  fields: { model: FieldModel; node: FieldDefinitionNode; directives: Directive[] }[];
  /** Where each relation name of this object was declared, to report clashes. */
  relationNodes: Map<string, ASTNode>;
}

/** One `@field_references` or `@references`, before its target is resolved. */
interface RelationDeclaration {
  node: ConstDirectiveNode;
  source: Declared;
  args: Readonly<Record<string, unknown>>;
  sourceFields: string[];
  /** Undefined: the target's single primary key field (`@field_references` without `field:`). */
  targetFields: string[] | undefined;
}

/** A relation declaration with its target resolved and every field checked. */
interface Reference {
  declaration: RelationDeclaration;
  target: Declared;
  sourceFields: string[];
  targetFields: string[];
}

/** The model of one data source's catalogs: the objects of all its documents together. */
export function parseCatalog(documents: readonly CatalogDocument[]): CatalogModel {
  const types = documents.flatMap(objectTypes);
  const nodes = new Map<string, ObjectTypeDefinitionNode>();
  for (const node of types) {
    const first = nodes.get(node.name.value);
    if (first) fail(node.name, `type '${node.name.value}' is already declared at ${where(first.name)}`);
    nodes.set(node.name.value, node);
  }
  const declared = new Map(types.map((node) => [node.name.value, declareObject(node, nodes)]));
  for (const object of declared.values()) {
    const references = relationDeclarations(object).map((declaration) => resolve(declaration, declared));
    for (const reference of references) addRelations(reference);
    if (object.model.m2m) addManyToMany(object, references);
  }
  // By name, not by declaration order: the model does not depend on which side or file declared a relation.
  const objects = [...declared.values()].map((object) => object.model);
  for (const object of objects) object.relations.sort(byName);
  return { objects };
}

/** The type definitions of one document; any other kind of definition is an error. */
function objectTypes(document: CatalogDocument): ObjectTypeDefinitionNode[] {
  // A file holding only comments (a placeholder) declares nothing; GraphQL would call it a syntax error.
  if (document.text.replace(/#[^\n\r]*/g, "").trim() === "") return [];
  let ast: DocumentNode;
  try {
    ast = parse(new Source(document.text, document.origin));
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const at = error.locations?.[0];
    const position = at ? `:${at.line}:${at.column}` : "";
    throw new CatalogError(`${document.origin}${position}: ${error.message}`, { cause: error });
  }
  return ast.definitions.map((definition) => {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) return definition;
    return fail(
      definition,
      `${describeDefinition(definition)} is not supported in a catalog; declare tables and views as ` +
        '`type name @table(name: "...") { ... }` or `type name @view(name: "...") { ... }`',
    );
  });
}

/** How the refusal names a definition that is not a type: `enum 'status'`, `extend type 'orders'`. */
const DEFINITION_WORDS: Partial<Record<Kind, string>> = {
  [Kind.OBJECT_TYPE_EXTENSION]: "extend type",
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: "input",
  [Kind.ENUM_TYPE_DEFINITION]: "enum",
  [Kind.INTERFACE_TYPE_DEFINITION]: "interface",
  [Kind.UNION_TYPE_DEFINITION]: "union",
  [Kind.SCALAR_TYPE_DEFINITION]: "scalar",
  [Kind.DIRECTIVE_DEFINITION]: "directive definition",
  [Kind.SCHEMA_DEFINITION]: "schema definition",
  [Kind.OPERATION_DEFINITION]: "operation",
  [Kind.FRAGMENT_DEFINITION]: "fragment",
};

function describeDefinition(definition: DefinitionNode): string {
  const name = "name" in definition && definition.name ? ` '${definition.name.value}'` : "";
  // The other kinds are extensions: "EnumTypeExtension" → "enum type extension".
  const words =
    DEFINITION_WORDS[definition.kind] ?? definition.kind.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return `${words}${name}`;
}

function declareObject(node: ObjectTypeDefinitionNode, types: ReadonlyMap<string, unknown>): Declared {
  const name = node.name.value;
  checkName(node.name, name, `type '${name}'`);
  const directives = readDirectives(node.directives, "type", `type '${name}'`);
  if (node.interfaces?.[0]) {
    fail(node.interfaces[0], `type '${name}' implements an interface; catalogs have no interfaces`);
  }
  if (!node.fields?.length) fail(node.name, `type '${name}' has no fields`);
  const fields = node.fields.map((field) => declareField(field, name, types));
  const fieldNodes = new Map<string, FieldDefinitionNode>();
  for (const field of fields) {
    const first = fieldNodes.get(field.model.name);
    if (first) {
      fail(
        field.node.name,
        `field '${name}.${field.model.name}' is already declared at ${where(first.name)}`,
      );
    }
    fieldNodes.set(field.model.name, field.node);
  }
  const fieldModels = fields.map((field) => field.model);
  const model: ObjectModel = {
    name,
    ...dataObject(node, directives),
    fields: fieldModels,
    relations: [],
    uniques: uniques(name, directives, fieldModels),
    ...cachePolicy(directives, `type '${name}'`),
    ...describe(node),
  };
  return { model, node, directives, fields, relationNodes: new Map() };
}

/** `@table` or `@view`: exactly one of them. */
function dataObject(
  node: ObjectTypeDefinitionNode,
  directives: readonly Directive[],
): Pick<ObjectModel, "kind" | "sqlName" | "sql" | "m2m"> {
  const name = node.name.value;
  const table = directives.find((directive) => directive.name === "table");
  const view = directives.find((directive) => directive.name === "view");
  if (table && view) fail(view.node, `type '${name}' has both @table and @view; a type is one or the other`);
  if (table) {
    return {
      kind: "table",
      sqlName: text(table, "name") ?? name,
      ...(table.args.is_m2m === true && { m2m: true }),
    };
  }
  if (!view) {
    fail(
      node.name,
      `type '${name}' needs @table(name: "...") or @view(name: "...") to say which relation it reads`,
    );
  }
  const sql = text(view, "sql");
  return { kind: "view", sqlName: text(view, "name") ?? name, ...(sql !== undefined && { sql }) };
}

/** `@cache(ttl:, key:, tags:)` on a type or a field: the reads of the type, or that select the field, are cached. */
function cachePolicy(directives: readonly Directive[], owner: string): { cache?: CachePolicy } {
  const directive = directives.find((d) => d.name === "cache");
  if (!directive) return {};
  const ttl = directive.args["ttl"];
  let ttlMs: number | undefined;
  if (ttl !== undefined) {
    const parsed = parseInterval(ttl);
    if (typeof parsed === "string") fail(directive.node, `@cache on ${owner}: ttl: ${parsed}`);
    ttlMs = parsed;
  }
  const key = text(directive, "key");
  return {
    cache: {
      ...(ttlMs !== undefined && { ttlMs }),
      ...(key !== undefined && { key }),
      tags: list(directive, "tags") ?? [],
    },
  };
}

function uniques(
  objectName: string,
  directives: readonly Directive[],
  fields: readonly FieldModel[],
): ObjectModel["uniques"] {
  const suffixes = new Map<string, ConstDirectiveNode>();
  return directives
    .filter((directive) => directive.name === "unique")
    .map((directive) => {
      const names = list(directive, "fields") ?? [];
      for (const field of names) {
        if (!fields.some((f) => f.name === field)) {
          fail(directive.node, `@unique on '${objectName}' names unknown field '${field}'`);
        }
      }
      // hugr's docs write the suffix with its "by_" (`query_suffix: "by_tax"` → customers_by_tax).
      const querySuffix = text(directive, "query_suffix")?.replace(/^by_/, "") ?? names.join("_");
      if (!/^[A-Za-z0-9_]+$/.test(querySuffix)) {
        fail(
          directive.node,
          `@unique on '${objectName}': query suffix '${querySuffix}' may hold only letters, digits and _`,
        );
      }
      const first = suffixes.get(querySuffix);
      if (first) {
        fail(
          directive.node,
          `@unique on '${objectName}' makes ${objectName}_by_${querySuffix} again (first at ${where(first)}); give query_suffix`,
        );
      }
      suffixes.set(querySuffix, directive.node);
      return { fields: names, querySuffix };
    });
}

function declareField(
  node: FieldDefinitionNode,
  objectName: string,
  types: ReadonlyMap<string, unknown>,
): Declared["fields"][number] {
  const name = node.name.value;
  const owner = `field '${objectName}.${name}'`;
  checkName(node.name, name, owner);
  if (node.arguments?.[0]) fail(node.arguments[0], `${owner} has arguments; catalog fields take none`);
  const directives = readDirectives(node.directives, "field", owner);
  const has = (directive: string): Directive | undefined => directives.find((d) => d.name === directive);
  const source = has("field_source");
  const model: FieldModel = {
    name,
    column: source ? (text(source, "field") ?? name) : name,
    ...fieldType(node.type, owner, types),
    pk: has("pk") !== undefined,
    ...defaultOf(has("default"), owner),
    ...cachePolicy(directives, owner),
    ...describe(node),
  };
  return { model, node, directives };
}

function fieldType(
  type: TypeNode,
  owner: string,
  types: ReadonlyMap<string, unknown>,
): Pick<FieldModel, "type" | "list" | "nonNull"> {
  const nonNull = type.kind === Kind.NON_NULL_TYPE;
  const outer = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  const list = outer.kind === Kind.LIST_TYPE;
  let inner = outer.kind === Kind.LIST_TYPE ? outer.type : outer;
  // Element nullability (`[Int!]`) is not part of the model: arrays are read as the database stores them.
  if (inner.kind === Kind.NON_NULL_TYPE) inner = inner.type;
  if (inner.kind === Kind.LIST_TYPE) {
    fail(inner, `${owner} is a list of lists; catalogs support one level of list`);
  }
  const name = inner.name.value;
  if (isScalarName(name)) return { type: name, list, nonNull };
  if (types.has(name)) {
    fail(
      inner,
      `${owner} has the object type '${name}'; relation fields are generated: declare the relation with ` +
        "@field_references on the key field or @references on the type",
    );
  }
  return fail(
    inner,
    `${owner} has unknown type '${name}'; the supported scalars are ${SCALAR_NAMES.join(", ")}`,
  );
}

function isScalarName(name: string): name is ScalarName {
  return (SCALAR_NAMES as readonly string[]).includes(name);
}

function defaultOf(directive: Directive | undefined, owner: string): Pick<FieldModel, "default"> {
  if (!directive) return {};
  const sequence = text(directive, "sequence");
  const hasValue = "value" in directive.args;
  if (!hasValue && sequence === undefined) {
    fail(directive.node, `@default on ${owner} needs value: or sequence:`);
  }
  return {
    default: {
      ...(hasValue && { value: directive.args.value }),
      ...(sequence !== undefined && { sequence }),
    },
  };
}

function relationDeclarations(object: Declared): RelationDeclaration[] {
  const fromFields = object.fields.flatMap((field) =>
    field.directives
      .filter((directive) => directive.name === "field_references")
      .map((directive) => {
        const target = text(directive, "field");
        return {
          node: directive.node,
          source: object,
          args: directive.args,
          sourceFields: [field.model.name],
          targetFields: target === undefined ? undefined : [target],
        };
      }),
  );
  const fromType = object.directives
    .filter((directive) => directive.name === "references")
    .map((directive) => ({
      node: directive.node,
      source: object,
      args: directive.args,
      sourceFields: list(directive, "source_fields") ?? [],
      targetFields: list(directive, "references_fields") ?? [],
    }));
  return [...fromFields, ...fromType];
}

/** Finds the declaration's target and checks the fields on both sides. */
function resolve(declaration: RelationDeclaration, objects: ReadonlyMap<string, Declared>): Reference {
  const { node, source, args } = declaration;
  const label = `@${node.name.value} on '${source.model.name}'`;
  const targetName = str(args.references_name) ?? "";
  const target = objects.get(targetName);
  if (!target) return fail(node, `${label} references unknown type '${targetName}'`);
  const targetFields = declaration.targetFields ?? [singlePrimaryKey(target, node, label)];
  const { sourceFields } = declaration;
  if (sourceFields.length !== targetFields.length) {
    fail(
      node,
      `${label}: ${sourceFields.length} source field(s) but ${targetFields.length} referenced field(s); they pair up one to one`,
    );
  }
  checkFields(source.model, sourceFields, node, label);
  checkFields(target.model, targetFields, node, label);
  return { declaration, target, sourceFields, targetFields };
}

/**
 * Adds the relation to its declaring object (`query`) and, with `references_query`, its reverse to
 * the target; a link table's `references_query` names a many-to-many relation instead
 * ({@link addManyToMany}), as in hugr, where the referenced objects get no relation to the link table.
 */
function addRelations({ declaration, target, sourceFields, targetFields }: Reference): void {
  const { node, source, args } = declaration;
  addRelation(
    source,
    {
      name: str(args.query) ?? target.model.name,
      target: target.model.name,
      kind: "one",
      sourceFields,
      targetFields,
      ...described(args.description),
    },
    node,
    "query",
  );
  const reverse = str(args.references_query);
  if (reverse === undefined || source.model.m2m) return;
  const relation: RelationModel = {
    name: reverse,
    target: source.model.name,
    kind: "many",
    sourceFields: targetFields,
    targetFields: sourceFields,
    ...described(args.references_description),
  };
  addRelation(target, relation, node, "references_query");
}

/**
 * The many-to-many relations of a link table (`@table(is_m2m: true)`) and its two references: the
 * object each reference points at gets, under that reference's `references_query`, a relation to the
 * object the other reference points at.
 */
function addManyToMany(link: Declared, references: readonly Reference[]): void {
  const [first, second] = references;
  if (references.length !== 2 || !first || !second) {
    const table = link.directives.find((directive) => directive.name === "table");
    return fail(
      table?.node ?? link.node.name,
      `type '${link.model.name}' is a link table (@table(is_m2m: true)) with ${references.length} reference(s); ` +
        "it needs exactly two, one to each object it links (@field_references on a field or @references on the type)",
    );
  }
  addLinked(link, first, second);
  addLinked(link, second, first);
}

/** The relation of `from`'s target to `to`'s target through the link table, when `from` names one. */
function addLinked(link: Declared, from: Reference, to: Reference): void {
  const { node, args } = from.declaration;
  const name = str(args.references_query);
  if (name === undefined) return;
  const relation: RelationModel = {
    name,
    target: to.target.model.name,
    kind: "many",
    sourceFields: from.targetFields,
    targetFields: to.targetFields,
    through: { object: link.model.name, sourceFields: from.sourceFields, targetFields: to.sourceFields },
    ...described(args.references_description),
  };
  addRelation(from.target, relation, node, "references_query");
}

function singlePrimaryKey(target: Declared, node: ASTNode, label: string): string {
  const keys = target.model.fields.filter((field) => field.pk);
  if (keys.length !== 1 || !keys[0]) {
    fail(
      node,
      `${label}: '${target.model.name}' has ${keys.length} primary key fields, so say which field is referenced with field: "..."`,
    );
  }
  return keys[0].name;
}

function checkFields(object: ObjectModel, names: readonly string[], node: ASTNode, label: string): void {
  for (const name of names) {
    if (!object.fields.some((field) => field.name === name)) {
      fail(node, `${label}: '${object.name}' has no field '${name}'`);
    }
  }
}

function addRelation(object: Declared, relation: RelationModel, node: ASTNode, argument: string): void {
  const owner = object.model.name;
  checkName(node, relation.name, `relation '${owner}.${relation.name}'`);
  if (object.model.fields.some((field) => field.name === relation.name)) {
    fail(
      node,
      `relation '${owner}.${relation.name}' has the name of a field of '${owner}'; name the relation with ${argument}: "..."`,
    );
  }
  const first = object.relationNodes.get(relation.name);
  if (first) {
    fail(
      node,
      `relation '${owner}.${relation.name}' is already declared at ${where(first)}; name this one with ${argument}: "..."`,
    );
  }
  object.relationNodes.set(relation.name, node);
  object.model.relations.push(relation);
}

function checkName(node: ASTNode, name: string, owner: string): void {
  if (!HUGR_NAME.test(name) || name.startsWith("__")) {
    fail(
      node,
      `${owner}: '${name}' is not a valid name (letters, digits and _, not starting with a digit or __)`,
    );
  }
}

/** Reads and checks the directives of a type or field against {@link DIRECTIVES}. */
function readDirectives(
  nodes: readonly ConstDirectiveNode[] | undefined,
  on: Location,
  owner: string,
): Directive[] {
  const seen = new Set<string>();
  return (nodes ?? []).map((node) => {
    const directive = readDirective(node, on, owner);
    if (seen.has(directive.name) && DIRECTIVES.get(directive.name)?.repeatable === false) {
      fail(node, `@${directive.name} is given twice on ${owner}`);
    }
    seen.add(directive.name);
    return directive;
  });
}

function readDirective(node: ConstDirectiveNode, on: Location, owner: string): Directive {
  const name = node.name.value;
  const spec = DIRECTIVES.get(name);
  if (!spec) {
    return fail(node, `@${name} on ${owner} ${whyRefused(name)}; catalogs may use ${SUPPORTED_DIRECTIVES}`);
  }
  if (!spec.on.includes(on)) {
    fail(node, `@${name} belongs on ${spec.on.map((where) => `${where}s`).join(" or ")}, not on ${owner}`);
  }
  return { name, node, args: readArguments(node, spec, `@${name} on ${owner}`) };
}

function whyRefused(name: string): string {
  if (QUERY_DIRECTIVES.has(name)) {
    return "is a directive of queries (on a field the query asks), not of catalogs";
  }
  if (UNSUPPORTED_HUGR_DIRECTIVES.has(name)) return "is a hugr directive this server does not support";
  return "is an unknown directive";
}

function readArguments(
  node: ConstDirectiveNode,
  spec: DirectiveSpec,
  label: string,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of node.arguments ?? []) {
    const argName = arg.name.value;
    const argSpec = Object.hasOwn(spec.args, argName) ? spec.args[argName] : undefined;
    if (!argSpec) {
      const known = Object.keys(spec.args).join(", ") || "no arguments";
      fail(arg, `${label} has no argument '${argName}' (it takes ${known})`);
    }
    if (argName in args) fail(arg, `${label}: argument ${argName}: is given twice`);
    const value = argumentValue(arg.value, argSpec.kind);
    if (value === undefined) fail(arg.value, `${label}: ${argName}: must be ${ARG_KIND_WORDS[argSpec.kind]}`);
    args[argName] = value;
  }
  for (const [argName, argSpec] of Object.entries(spec.args)) {
    if (argSpec.required && !(argName in args)) fail(node, `${label} needs the argument ${argName}:`);
  }
  return args;
}

/** The argument's value when it has the expected kind, otherwise undefined. */
function argumentValue(value: ConstValueNode, kind: ArgKind): unknown {
  if (kind === "value") return valueFromASTUntyped(value);
  if (kind === "boolean") return value.kind === Kind.BOOLEAN ? value.value : undefined;
  const items = kind === "strings" && value.kind === Kind.LIST ? value.values : [value];
  const strings = items.map((item) =>
    item.kind === Kind.STRING && item.value !== "" ? item.value : undefined,
  );
  if (strings.length === 0 || strings.some((item) => item === undefined)) return undefined;
  return kind === "string" ? strings[0] : strings;
}

function text(directive: Directive, arg: string): string | undefined {
  return str(directive.args[arg]);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function list(directive: Directive, arg: string): string[] | undefined {
  const value = directive.args[arg];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;
}

function describe(node: ObjectTypeDefinitionNode | FieldDefinitionNode): { description?: string } {
  return described(node.description?.value);
}

/** `{ description }` when there is a non-empty one, so absent and empty descriptions are the same model. */
function described(description: unknown): { description?: string } {
  return typeof description === "string" && description !== "" ? { description } : {};
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `origin:line:column` of a node of a parsed catalog document. */
function where(node: ASTNode): string {
  const loc = node.loc;
  if (!loc) return "an unknown location";
  const { line, column } = getLocation(loc.source, loc.start);
  return `${loc.source.name}:${line}:${column}`;
}

function fail(node: ASTNode, message: string): never {
  throw new CatalogError(`${where(node)}: ${message}`);
}
