import type postgres from "postgres";

/** int8: a JS number when it is exact, else the decimal text, so no id is silently rounded. */
export function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

/** numeric: a JS number; NaN and ±Infinity stay text, since JSON has no spelling for them. */
export function parseNumeric(text: string): number | string {
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

/** timestamp: `2024-01-02 03:04:05.123456` as ISO 8601 without a zone, microseconds kept. */
export function parseTimestamp(text: string): string {
  return text.replace(" ", "T");
}

/**
 * timestamptz: ISO 8601 with its offset, `Z` for UTC (the session's TimeZone, see the engine), and
 * microseconds kept, where a JS Date would round them to milliseconds.
 */
export function parseTimestampTz(text: string): string {
  return parseTimestamp(text)
    .replace(/\+00$/, "Z")
    .replace(/([+-]\d\d)$/, "$1:00");
}

const toText = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));

/**
 * The driver's type handlers. Every row value comes back JSON-safe and in the shape the DuckDB engine
 * gives too: int8 and numeric as numbers, dates and timestamps as ISO text (the driver's default makes
 * JS Dates and reads a timestamp without zone in the process's zone), bytea as its `\x…` text.
 * json and jsonb keep the driver's own parsing.
 */
export const postgresTypes: Record<string, postgres.PostgresType> = {
  int8: { to: 20, from: [20], serialize: toText, parse: parseInt8 },
  numeric: { to: 1700, from: [1700], serialize: toText, parse: parseNumeric },
  date: { to: 1082, from: [1082], serialize: toText, parse: (text: string) => text },
  timestamp: { to: 1114, from: [1114], serialize: toText, parse: parseTimestamp },
  timestamptz: { to: 1184, from: [1184], serialize: toText, parse: parseTimestampTz },
  bytea: { to: 17, from: [17], serialize: serializeBytea, parse: (text: string) => text },
};

function serializeBytea(value: unknown): string {
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex")}`;
  return String(value);
}
