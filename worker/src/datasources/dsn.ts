/**
 * Replaces the password of a URL-shaped DSN with "***" so it can be shown or logged; anything
 * that is not a URL with credentials is returned unchanged.
 */
export function maskDsnPassword(path: string): string {
  let url: URL;
  try {
    url = new URL(path);
  } catch {
    return path;
  }
  if (url.password === "") return path;
  url.password = "***";
  return url.toString();
}
