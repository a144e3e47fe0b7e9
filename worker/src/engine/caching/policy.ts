import { checkDuration } from "@hugr/common";

/**
 * What hugr's `@cache(ttl, key, tags)` asks, on an object of a catalog or on a field of a query:
 * how long a result lives, the key it is kept under instead of one derived from the query, and the
 * tags that invalidate it (besides the objects it reads).
 */
export interface CachePolicy {
  /** Absent: the node's CACHE_TTL. */
  ttlMs?: number;
  key?: string;
  tags: readonly string[];
}

const WORD_UNITS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * hugr's Interval as `@cache(ttl:)` takes it: whole seconds (a number, or digits), Go's durations
 * ("300s", "1h30m"), or PostgreSQL's words ("10 minutes", "1 hour"). Returns a problem as a string.
 */
export function parseInterval(value: unknown): number | string {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value * 1_000 : "expected whole seconds, 0 or more";
  }
  if (typeof value !== "string") return 'expected seconds or an interval such as "300s" or "10 minutes"';
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const words = /^(\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?$/i.exec(text);
  if (words) return Math.round(Number(words[1]) * (WORD_UNITS[(words[2] ?? "").toLowerCase()] ?? 0));
  const duration = checkDuration(text);
  return duration.ok ? duration.ms : `"${text}": ${duration.problem}`;
}
