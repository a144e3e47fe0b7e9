/** Column types the filter compiler knows; they decide which operators a column accepts. */
export type ColumnType = "string" | "boolean" | "int" | "float" | "timestamp" | "json";

/** Describes one table for the filter / order_by compiler. Everything here is trusted (from code). */
export interface TableSpec {
  /** SQL table name (trusted: comes from code, never from input). */
  table: string;
  /** GraphQL field name -> column type; the column name equals the field name. */
  columns: Readonly<Record<string, ColumnType>>;
  /** List relations usable in filters, e.g. data_sources.catalogs (many-to-many through a link table). */
  relations?: Readonly<Record<string, RelationSpec>>;
}

/** A list relation from a source table to a target table, filtered with any_of / all_of / none_of. */
export interface RelationSpec {
  /** The target table; lazy so specs can reference each other. */
  target: () => TableSpec;
  /** Link table for many-to-many; absent for one-to-many (then target.targetKey = source.sourceKey). */
  through?: { table: string; sourceColumn: string; targetColumn: string };
  /** Column on the source table. */
  sourceKey: string;
  /** Column on the target table. */
  targetKey: string;
}
