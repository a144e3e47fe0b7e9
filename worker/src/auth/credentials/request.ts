import { unauthenticated } from "../identity.js";
import { decodeToken, type DecodedToken } from "./tokens.js";

/**
 * The longest credential read from a request: a header or cookie longer than this is refused (401)
 * before anything parses it. Real tokens are a few KiB; Node's own header limit is 16 KiB too.
 */
export const MAX_CREDENTIAL_LENGTH = 16 * 1024;

const BEARER = "bearer ";

/**
 * The credentials one request carries, read lazily: a request with an API key never has its
 * Authorization header or cookies looked at. One instance per request.
 */
export class RequestCredentials {
  /** undefined: not read yet; null: none. */
  #bearer: string | null | undefined;
  /** The last token decoded: every token provider reads the same Bearer token. */
  #decoded: { token: string; decoded: DecodedToken } | undefined;

  constructor(readonly headers: Headers) {}

  /** A credential header's value; undefined when absent or empty; 401 when oversized. */
  header(name: string, what: string): string | undefined {
    const value = this.headers.get(name);
    if (!value) return undefined;
    if (value.length > MAX_CREDENTIAL_LENGTH) throw unauthenticated(`${what} is too large`);
    return value;
  }

  /** The token a token provider reads: `Authorization: Bearer`, then its cookie. */
  token(cookieName: string | undefined): string | undefined {
    return this.bearer() ?? (cookieName === undefined ? undefined : this.cookie(cookieName));
  }

  bearer(): string | undefined {
    if (this.#bearer === undefined) {
      const value = this.header("authorization", "the Authorization header");
      this.#bearer = value === undefined ? null : readBearer(value);
    }
    return this.#bearer ?? undefined;
  }

  /** The token's unverified header and claims, decoded once however many providers read it. */
  decoded(token: string): DecodedToken {
    if (this.#decoded?.token !== token) this.#decoded = { token, decoded: decodeToken(token) };
    return this.#decoded.decoded;
  }

  cookie(name: string): string | undefined {
    const header = this.headers.get("cookie");
    if (!header) return undefined;
    const value = readCookie(header, name);
    if (value !== undefined && value.length > MAX_CREDENTIAL_LENGTH) {
      throw unauthenticated("the token cookie is too large");
    }
    return value || undefined;
  }
}

/** The token of a Bearer Authorization header; null for another scheme (Basic, ...) or none. */
function readBearer(value: string): string | null {
  if (value.length <= BEARER.length || value.slice(0, BEARER.length).toLowerCase() !== BEARER) {
    return null;
  }
  return value.slice(BEARER.length).trim() || null;
}

/** One cookie of a Cookie header (RFC 6265 `name=value; name2=value2`), quotes removed. */
function readCookie(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(";", start);
    if (end < 0) end = header.length;
    const eq = header.indexOf("=", start);
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    start = end + 1;
  }
  return undefined;
}
