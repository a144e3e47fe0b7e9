/**
 * Go-style duration strings (`time.ParseDuration`), which hugr's configuration uses: a sequence of
 * decimal numbers, each with an optional fraction and a mandatory unit, e.g. "300ms", "1.5s",
 * "5m30s", "2h45m". Valid units are "ns", "us" (or "µs"/"μs"), "ms", "s", "m", "h". A bare "0" is
 * the only number allowed without a unit. Unlike Go, negative durations are refused: no setting of
 * a hugr node means anything when negative.
 */

/** Nanoseconds per unit; BigInt keeps "1.1s" exact (floating point would give 1100.0000000000002). */
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n], // U+00B5 micro sign
  ["μs", 1_000n], // U+03BC Greek small letter mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const UNIT_LIST = "ns, us, µs, ms, s, m, h";

/** Go's limit: a duration is an int64 count of nanoseconds (about 292 years). */
const MAX_NS = 2n ** 63n - 1n;

/** One "<number><unit>" term: integer digits, optional fraction digits, then the unit letters. */
const TERM = /^(\d*)(?:\.(\d*))?([^\d.]*)/u;

/** Outcome of {@link checkDuration}: milliseconds, or why the text is not a duration. */
export type DurationCheck = { ok: true; ms: number } | { ok: false; problem: string };

/**
 * Parses a Go-style duration into milliseconds (fractional for sub-millisecond parts, e.g. "1500us"
 * is 1.5). Throws an Error naming the text and what is wrong with it.
 */
export function parseDuration(text: string): number {
  const result = checkDuration(text);
  if (!result.ok) {
    throw new Error(`invalid duration "${text}": ${result.problem}`);
  }
  return result.ms;
}

/** Like {@link parseDuration} but returns the problem instead of throwing (for config errors). */
export function checkDuration(text: string): DurationCheck {
  if (text === "") return { ok: false, problem: "it is empty" };
  if (text.startsWith("-")) return { ok: false, problem: "negative durations are not allowed" };
  const body = text.startsWith("+") ? text.slice(1) : text;
  if (body === "0") return { ok: true, ms: 0 };
  if (body === "") return { ok: false, problem: `expected a number followed by a unit (${UNIT_LIST})` };
  return sumTerms(body);
}

/** Adds up the terms of a sign-less, non-empty duration. */
function sumTerms(body: string): DurationCheck {
  let totalNs = 0n;
  let rest = body;
  while (rest !== "") {
    const term = parseTerm(rest);
    if (typeof term === "string") return { ok: false, problem: term };
    totalNs += term.ns;
    if (totalNs > MAX_NS) return { ok: false, problem: "it is too large (the maximum is about 292 years)" };
    rest = rest.slice(term.length);
  }
  return { ok: true, ms: Number(totalNs) / 1e6 };
}

/** Parses the term at the start of `text`: its value in nanoseconds and how many characters it used. */
function parseTerm(text: string): { ns: bigint; length: number } | string {
  const { whole, fraction, unit, length } = splitTerm(text);
  if (whole === "" && fraction === "") return `expected a number followed by a unit (${UNIT_LIST})`;
  if (unit === "") return `missing unit: add one of ${UNIT_LIST} (only a bare "0" may omit it)`;
  const unitNs = UNIT_NS.get(unit);
  if (unitNs === undefined) return `unknown unit "${unit}" (valid units: ${UNIT_LIST})`;
  return { ns: termNanoseconds(whole, fraction, unitNs), length };
}

/** The digits before and after the decimal point, and the unit, of the term at the start of `text`. */
function splitTerm(text: string): { whole: string; fraction: string; unit: string; length: number } {
  const match = TERM.exec(text);
  return {
    whole: match?.[1] ?? "",
    fraction: match?.[2] ?? "",
    unit: match?.[3] ?? "",
    length: match?.[0].length ?? 0,
  };
}

/** whole.fraction × unit in nanoseconds, truncating below one nanosecond as Go does. */
function termNanoseconds(whole: string, fraction: string, unitNs: bigint): bigint {
  const wholeNs = BigInt(whole === "" ? "0" : whole) * unitNs;
  if (fraction === "") return wholeNs;
  return wholeNs + (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
}
