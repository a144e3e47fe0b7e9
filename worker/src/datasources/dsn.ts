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
