/** A key pattern with DuckDB's glob characters, compiled for matching listed keys. */
export interface KeyGlob {
  /** The literal start of the pattern: every matching key starts with it, so it is the listing prefix. */
  prefix: string;
  matches(key: string): boolean;
}

/** True when the key has glob characters (`*`, `**`, `?`) that DuckDB would expand. */
export function hasGlob(key: string): boolean {
  return /[*?]/u.test(key);
}

// "**/" matches zero or more folders, "**" anything; "*" and "?" stay within one path segment.
const TOKENS: Record<string, string> = { "**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]" };

export function compileGlob(pattern: string): KeyGlob {
  const source = pattern.replace(
    /\*\*\/|\*\*|\*|\?|[.+^${}()|[\]\\]/gu,
    (token) => TOKENS[token] ?? `\\${token}`,
  );
  const regex = new RegExp(`^${source}$`, "u");
  const first = pattern.search(/[*?]/u);
  return { prefix: first < 0 ? pattern : pattern.slice(0, first), matches: (key) => regex.test(key) };
}
