import { isIPv4, isIPv6 } from "node:net";
import { checkDuration } from "./duration.js";
import { ConfigError } from "./errors.js";

/**
 * Typed readers of environment variables, shared by every hugr node. An empty value counts as
 * unset. Values are trimmed, except secrets, which are taken verbatim. A wrong value throws a
 * {@link ConfigError} naming the variable; secrets never appear in it.
 */

/** The process environment, or any stand-in for it (tests pass plain objects). */
export type Env = Readonly<Record<string, string | undefined>>;

const TRUE_WORDS: ReadonlySet<string> = new Set(["true", "1", "yes"]);
const FALSE_WORDS: ReadonlySet<string> = new Set(["false", "0", "no"]);

/** Node.js timers fire at once when asked to wait longer than this (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

const DAY_MS = 86_400_000;

/** The value verbatim; undefined when unset or empty. For passwords, which may hold any character. */
export function readRaw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The trimmed value; undefined when unset, empty or only whitespace. */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * A shared token (CLUSTER_SECRET, SECRET_KEY), compared byte for byte with what other nodes and
 * clients send: surrounding whitespace, typically a newline left by a secret file, is refused
 * rather than silently trimmed or kept. The error never shows the value, whatever the variable.
 */
export function readSecret(env: Env, name: string): string | undefined {
  const value = readRaw(env, name);
  if (value !== undefined && value !== value.trim()) {
    throw new ConfigError(
      name,
      "has leading or trailing whitespace (a newline from a secret file?)",
      value,
      true,
    );
  }
  return value;
}

/** true/false, 1/0, yes/no in any case. */
export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(name, "must be true/false, 1/0 or yes/no", value);
}

/** A whole number of at least `min` written in plain decimal digits. */
export function readInt(env: Env, name: string, fallback: number, min: number): number {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const number = /^\d+$/u.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    const kind = min === 1 ? "a positive integer" : `an integer of at least ${min}`;
    throw new ConfigError(name, `must be ${kind}`, value);
  }
  return number;
}

/**
 * A Go-style duration in milliseconds, greater than zero and at most `maxMs` (pass
 * {@link MAX_TIMER_MS} for anything used as a timer delay).
 */
export function readDuration(
  env: Env,
  name: string,
  fallback: string,
  maxMs = Number.POSITIVE_INFINITY,
): number {
  const value = readString(env, name) ?? fallback;
  const result = checkDuration(value);
  if (!result.ok) {
    throw new ConfigError(
      name,
      `is not a valid duration such as "30s", "1m" or "5m30s": ${result.problem}`,
      value,
    );
  }
  if (result.ms <= 0) throw new ConfigError(name, "must be greater than zero", value);
  if (result.ms > maxMs) throw new ConfigError(name, `must be at most ${maxMs} ms${aboutDays(maxMs)}`, value);
  return result.ms;
}

/** " (about 24.8 days)" for a limit of a day or more (rounded down to a tenth), otherwise "". */
function aboutDays(ms: number): string {
  if (ms < DAY_MS || !Number.isFinite(ms)) return "";
  return ` (about ${Math.floor((ms * 10) / DAY_MS) / 10} days)`;
}

/** One of `choices`, in any case; undefined when unset. */
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const choice = choices.find((candidate) => candidate === value.toLowerCase());
  if (choice === undefined) throw new ConfigError(name, `must be one of ${choices.join(", ")}`, value);
  return choice;
}

/** An absolute http:// or https:// URL, kept as written; undefined when unset. */
export function readHttpUrl(env: Env, name: string): string | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new ConfigError(name, "must be an http:// or https:// URL", value);
  }
  return value;
}

/** A comma-separated list, entries trimmed, empty entries dropped. */
export function readList(env: Env, name: string): string[] {
  const value = readString(env, name);
  if (value === undefined) return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** A comma-separated list of "host:port" server addresses (host required, port 1..65535). */
export function readAddresses(env: Env, name: string): string[] {
  const entries = readList(env, name);
  for (const entry of entries) {
    const problem = addressProblem(entry);
    if (problem !== undefined) {
      throw new ConfigError(name, `address "${entry}" is invalid: ${problem}`, env[name]?.trim());
    }
  }
  return entries;
}

/** Throws "<name>: is required <when>" if the value is missing. */
export function required(name: string, value: string | undefined, when: string): string {
  if (value === undefined) throw new ConfigError(name, `is required ${when}`);
  return value;
}

// --- host:port ----------------------------------------------------------------------------------

/** Why a server address such as "redis:6379" is unusable, or undefined when it is fine. */
function addressProblem(entry: string): string | undefined {
  const parsed = splitHostPort(entry);
  if (typeof parsed === "string") return parsed;
  if (parsed.host === "") return "the host is missing";
  if (parsed.port === 0) return "the port must be from 1 to 65535";
  return undefined;
}

/**
 * Splits "host:port" like Go's net.SplitHostPort: IPv6 hosts in brackets ("[::1]:15000", host
 * returned without brackets), an empty host allowed (":15000"), port 0..65535. Returns the problem
 * as text when the address is malformed.
 */
export function splitHostPort(text: string): { host: string; port: number } | string {
  const match = /^\[([^\]]*)\]:([^:]*)$/u.exec(text) ?? /^([^:[\]]*):([^:]*)$/u.exec(text);
  if (match === null) {
    return /^[\da-f.:]+$/iu.test(text) && text.split(":").length > 2
      ? 'IPv6 hosts must be in brackets, e.g. "[::1]:15000"'
      : 'expected "host:port", e.g. ":15000", "0.0.0.0:15000" or "[::1]:15000"';
  }
  const host = match[1] ?? "";
  const portText = match[2] ?? "";
  const bracketed = text.startsWith("[");
  if (bracketed ? !isIPv6(host) : !isHostName(host)) return "the host is not a valid host name or IP address";
  if (!/^\d{1,5}$/u.test(portText) || Number(portText) > 65535) {
    return "the port must be a number from 0 to 65535";
  }
  return { host, port: Number(portText) };
}

/** An empty host, a DNS-style host name, or a dotted IPv4 address. */
function isHostName(host: string): boolean {
  if (host === "") return true;
  if (/^[\d.]+$/u.test(host)) return isIPv4(host);
  return /^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/iu.test(host);
}
