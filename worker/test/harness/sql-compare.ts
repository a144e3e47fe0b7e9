/**
 * Test harness: comparing the node's GraphQL answers with the same questions asked in SQL, for the
 * data source tests. The SQL side is a PostgreSQL connection (`sqlComparison`) or any engine that
 * returns rows as JSON (`expectedAnswers`); values are made comparable by a `normaliser` or compared
 * with `expectClose`.
 */
import type postgres from "postgres";
import { expect } from "vitest";

/** A row, or a GraphQL object, as JSON. */
export type Row = Record<string, unknown>;

/** The SQL giving a field's expected value: its rows, or (`one`) its first row or null. */
export type Expected = string | { one: string };

/** Asks `rows` every field's SQL in turn: each field's rows, or its first row or null for `one`. */
export async function expectedAnswers(
  expected: Record<string, Expected>,
  rows: (sql: string) => Promise<Row[]>,
): Promise<Row> {
  const want: Row = {};
  for (const [field, sql] of Object.entries(expected)) {
    want[field] = typeof sql === "string" ? await rows(sql) : ((await rows(sql.one))[0] ?? null);
  }
  return want;
}

/** Each row of a PostgreSQL query as JSON (numbers, ISO strings, nested JSON), in the query's order. */
async function pgJsonRows(db: postgres.Sql, query: string): Promise<Row[]> {
  const rows = await db.unsafe(`select to_jsonb(q) as j from (${query}) q`);
  return rows.map((row) => row.j as Row);
}

/** The keys whose values a {@link normaliser} rewrites (or, for `json`, leaves exactly as they are). */
export interface NormalisedKeys {
  /** BigInt values (strings or numbers): compared as numbers. */
  bigint?: readonly string[];
  /** Timestamps: compared as instants (epoch ms). */
  timestamp?: readonly string[];
  /** JSON values: compared as they are, their own keys not normalised. */
  json?: readonly string[];
}

/** Makes GraphQL and SQL values comparable: by key, timestamps become epoch ms, BigInt numbers; JSON stays. */
export function normaliser(keys: NormalisedKeys): (value: unknown) => unknown {
  const bigint = new Set(keys.bigint);
  const timestamp = new Set(keys.timestamp);
  const json = new Set(keys.json);
  const norm = (value: unknown, key = ""): unknown => {
    if (value === null || value === undefined) return null;
    if (json.has(key)) return value;
    if (Array.isArray(value)) return value.map((v) => norm(v));
    if (typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, norm(v, k)]));
    }
    if (timestamp.has(key) && typeof value === "string") return Date.parse(value);
    if (bigint.has(key)) return Number(value);
    return value;
  };
  return (value) => norm(value);
}

/** What {@link sqlComparison} compares: the truth, the node, and how values are made comparable. */
export interface SqlComparisonOptions {
  /** The connection SQL questions go to (read at each question: it may be opened later). */
  db: () => postgres.Sql;
  /** The data of a GraphQL request to the node that must succeed. */
  data: (query: string) => Promise<Row>;
  /** Applied to both sides before comparing, e.g. a {@link normaliser}. */
  normalise: (value: unknown) => unknown;
}

/** GraphQL answers compared with PostgreSQL's. */
export interface SqlComparison {
  /** Each row of a SQL query as JSON, in the query's order. */
  sqlRows: (query: string) => Promise<Row[]>;
  /**
   * Asks every SQL question first, then the GraphQL one, and compares each top-level field of the
   * answer with its SQL rows (both normalised). Returns the data.
   */
  expectQuery: (query: string, expected: Record<string, Expected>) => Promise<Row>;
}

/** Compares GraphQL answers with the same questions asked of a PostgreSQL database. */
export function sqlComparison(options: SqlComparisonOptions): SqlComparison {
  const sqlRows = (query: string): Promise<Row[]> => pgJsonRows(options.db(), query);
  return {
    sqlRows,
    async expectQuery(query, expected) {
      const want = await expectedAnswers(expected, sqlRows);
      const got = await options.data(query);
      for (const field of Object.keys(expected)) {
        expect(options.normalise(got[field]), field).toEqual(options.normalise(want[field]));
      }
      return got;
    },
  };
}

/** The request `{ a: <object>_aggregation(args) { _rows_count field { op … } … } }` for `spec` (field → ops). */
export function aggregationQuery(object: string, args: string, spec: Record<string, string[]>): string {
  const selection = [
    "_rows_count",
    ...Object.entries(spec).map(([field, ops]) => `${field} { ${ops.join(" ")} }`),
  ];
  return `{ a: ${object}_aggregation${args ? `(${args})` : ""} { ${selection.join(" ")} } }`;
}

/** How {@link expectClose} reads timestamps: which expected strings are ones, and the instant of one. */
export interface TimestampReading {
  pattern: RegExp;
  /** Epoch milliseconds. */
  instant(text: string): number;
}

/** ISO 8601 timestamps (as PostgreSQL's JSON writes them), read by Date.parse. */
export const ISO_TIMESTAMPS: TimestampReading = {
  pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/,
  instant: (text) => Date.parse(text),
};

/**
 * Deep comparison where numbers may differ by float rounding (1e-9 relative) or be strings (BigInt),
 * and timestamps (as `timestamps` reads them) by spelling.
 */
export function expectClose(
  actual: unknown,
  expected: unknown,
  path = "$",
  timestamps: TimestampReading = ISO_TIMESTAMPS,
): void {
  if (expected === null || expected === undefined) {
    expect(actual ?? null, path).toBeNull();
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is a list: ${JSON.stringify(actual)}`).toBe(true);
    expect((actual as unknown[]).length, `${path} length`).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${path}[${i}]`, timestamps));
  } else if (typeof expected === "object") {
    expect(actual !== null && typeof actual === "object", `${path} is an object`).toBe(true);
    const object = actual as Row;
    expect(Object.keys(object).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected)) expectClose(object[k], e, `${path}.${k}`, timestamps);
  } else {
    expectCloseScalar(actual, expected, path, timestamps);
  }
}

/** {@link expectClose} of a number, timestamp or other scalar `expected`. */
function expectCloseScalar(
  actual: unknown,
  expected: unknown,
  path: string,
  timestamps: TimestampReading,
): void {
  if (typeof expected === "number") {
    expect(actual, path).not.toBeNull();
    const difference = Math.abs(Number(actual) - expected);
    expect(difference, `${path}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(expected)),
    );
  } else if (typeof expected === "string" && timestamps.pattern.test(expected)) {
    expect(timestamps.instant(String(actual)), `${path}: ${String(actual)} vs ${expected}`).toBe(
      timestamps.instant(expected),
    );
  } else {
    expect(actual, path).toEqual(expected);
  }
}
