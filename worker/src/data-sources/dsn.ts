/**
 * Replaces passwords in a DSN with "***" so it can be shown or logged: the password of a URL
 * (`postgres://user:pw@host`), a `password=` query parameter, and a `password=` pair of a
 * key=value DSN (`host=h password=pw`). Anything else is returned unchanged.
 */
export function maskDsnPassword(path: string): string {
  const url = URL.canParse(path) ? new URL(path) : undefined;
  if (url && url.host !== "") {
    if (url.password !== "") url.password = "***";
    for (const key of [...url.searchParams.keys()]) {
      if (/^(password|pass|pwd)$/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.toString().replaceAll("%2A%2A%2A", "***");
  }
  return path.replace(/\b(password|pass|pwd)\s*=\s*('[^']*'|\S+)/gi, "$1=***");
}

/**
 * Replaces every appearance of the given paths' secrets in `text`: each path that carries a password
 * becomes its masked form, and the password itself (as written, and percent-decoded) becomes "***".
 * For messages built from text we do not control (a management node's answer that might echo a
 * definition back), before they reach a client or a log.
 */
export function redactPaths(text: string, paths: readonly string[]): string {
  let redacted = text;
  for (const path of paths) {
    const masked = maskDsnPassword(path);
    if (masked === path) continue;
    redacted = redacted.split(path).join(masked);
    for (const secret of passwordsOf(path)) redacted = redacted.split(secret).join("***");
  }
  return redacted;
}

/** The passwords in a DSN, in every spelling a message might quote: as written and decoded. */
function passwordsOf(path: string): string[] {
  const found: string[] = [];
  const url = URL.canParse(path) ? new URL(path) : undefined;
  if (url && url.host !== "") {
    found.push(url.password);
    for (const [key, value] of url.searchParams) {
      if (/^(password|pass|pwd)$/i.test(key)) found.push(value, encodeURIComponent(value));
    }
  }
  for (const match of path.matchAll(/\b(?:password|pass|pwd)\s*=\s*('[^']*'|\S+)/gi)) {
    const value = match[1] ?? "";
    found.push(value, value.replace(/^'(.*)'$/, "$1"));
  }
  const decoded = found.map(safeDecode);
  return [...new Set([...found, ...decoded])].filter((s) => s !== "").sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
