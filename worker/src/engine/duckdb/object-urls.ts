/**
 * DuckDB reads `s3://` files only through its httpfs extension and secrets; this worker instead
 * fetches objects itself (with the object storage's credentials) and hands DuckDB a local path. This
 * module finds the object URLs a statement names and swaps them for the paths `resolve` returns.
 */
const OBJECT_URL_PREFIX = "s3://";

/** A string literal naming an object URL: `sql.slice(start, end)` is the quoted literal. */
interface UrlLiteral {
  start: number;
  end: number;
  url: string;
}

/**
 * Replaces every standard single-quoted literal that starts with `s3://` (also inside list literals
 * such as `['s3://a', 's3://b']`) by the quoted local path `resolve` gives. Each distinct URL is
 * resolved once; resolutions run in parallel. Comments, quoted identifiers, dollar-quoted and `E''`
 * strings are skipped, so an apostrophe in them cannot derail the scan.
 */
export async function rewriteObjectUrls(
  sql: string,
  resolve: (url: string) => Promise<string>,
): Promise<string> {
  const literals = findUrlLiterals(sql);
  if (literals.length === 0) return sql;
  const urls = [...new Set(literals.map((literal) => literal.url))];
  const paths = new Map(await Promise.all(urls.map(async (url) => [url, await resolve(url)] as const)));
  let rewritten = "";
  let position = 0;
  for (const { start, end, url } of literals) {
    rewritten += sql.slice(position, start) + quote(paths.get(url) ?? url);
    position = end;
  }
  return rewritten + sql.slice(position);
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The object-URL literals of `sql`, in order. An unterminated token ends the scan. */
function findUrlLiterals(sql: string): UrlLiteral[] {
  const found: UrlLiteral[] = [];
  let index = 0;
  while (index < sql.length) {
    if (sql[index] === "'" && !isEscapeStringPrefix(sql, index)) {
      const end = quotedEnd(sql, index, "'");
      const url = sql.slice(index + 1, end - 1).replaceAll("''", "'");
      if (end <= sql.length && url.startsWith(OBJECT_URL_PREFIX)) found.push({ start: index, end, url });
      index = end;
    } else {
      index = skipToken(sql, index) ?? index + 1;
    }
  }
  return found;
}

/** The end of a token that cannot hold a standard literal, or undefined when none starts at `index`. */
function skipToken(sql: string, index: number): number | undefined {
  const char = sql[index];
  const next = sql[index + 1];
  if (char === "'") return escapeStringEnd(sql, index); // a standard literal was handled by the caller
  if (char === '"') return quotedEnd(sql, index, '"');
  if (char === "-" && next === "-") return lineEnd(sql, index);
  if (char === "/" && next === "*") return blockCommentEnd(sql, index);
  if (char === "$") return dollarQuotedEnd(sql, index);
  return undefined;
}

/** Index after the closing quote of a literal or identifier opened at `start`; a doubled quote is text. */
function quotedEnd(sql: string, start: number, quoteChar: string): number {
  let index = start + 1;
  while (index < sql.length) {
    if (sql[index] === quoteChar) {
      if (sql[index + 1] !== quoteChar) return index + 1;
      index += 2;
    } else {
      index += 1;
    }
  }
  return sql.length + 1;
}

/** `E'…'`: the E must start a token (not end an identifier such as `type'…'`). */
function isEscapeStringPrefix(sql: string, quoteIndex: number): boolean {
  const prefix = sql[quoteIndex - 1];
  return (prefix === "E" || prefix === "e") && !isIdentifierChar(sql[quoteIndex - 2]);
}

/** Index after an `E'…'` string opened at `start`: a backslash escapes the next character. */
function escapeStringEnd(sql: string, start: number): number {
  let index = start + 1;
  while (index < sql.length) {
    const char = sql[index];
    if (char === "\\") index += 2;
    else if (char === "'" && sql[index + 1] === "'") index += 2;
    else if (char === "'") return index + 1;
    else index += 1;
  }
  return sql.length + 1;
}

function lineEnd(sql: string, start: number): number {
  const newline = sql.indexOf("\n", start);
  return newline === -1 ? sql.length : newline + 1;
}

/** Block comments nest, as in PostgreSQL and DuckDB. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let index = start;
  while (index < sql.length) {
    const pair = sql.slice(index, index + 2);
    if (pair === "/*") depth += 1;
    else if (pair === "*/") depth -= 1;
    if (pair === "/*" || pair === "*/") index += 2;
    else index += 1;
    if (depth === 0) return index;
  }
  return sql.length + 1;
}

/** `$$…$$` or `$tag$…$tag$`; a `$1` parameter or a `$` inside an identifier is not a quote. */
function dollarQuotedEnd(sql: string, start: number): number | undefined {
  if (isIdentifierChar(sql[start - 1])) return undefined;
  const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(start))?.[0];
  if (tag === undefined) return undefined;
  const close = sql.indexOf(tag, start + tag.length);
  return close === -1 ? sql.length + 1 : close + tag.length;
}

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$]/.test(char);
}
