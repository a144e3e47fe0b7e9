/**
 * Secrets in connection strings, found once for every program: whether a DSN carries one (the
 * operator then keeps it in a Secret, not in a resource's spec), its masked form (GraphQL output,
 * statuses, Events, logs, configuration errors), and the redaction of messages that may quote it
 * (a driver's error, the management node's answer).
 *
 * The forms both engines and hugr's users write:
 * - a URL's user-info password, `postgres://user:password@host/db` (up to the last "@" of the
 *   authority, so a password containing "@" is hidden whole);
 * - parameters in any case and with any separator: a URL query (`?password=…&sslpassword=…`),
 *   libpq's key=value DSN (`host=h password = 'two words'`), ADO's `;Password=…`, DuckDB's and
 *   MotherDuck's (`md:db?motherduck_token=…`, `s3_secret_access_key=…`).
 *
 * Hand-written: URL parsers reject or re-encode the unencoded characters people put in passwords,
 * and no library knows libpq's and DuckDB's parameter names.
 */

/** Parameter names whose value is a secret. */
const SECRET_PARAMETER =
  "password|passwd|pass|pwd|sslpassword|secret|token|access_token|auth_token|motherduck_token|" +
  "s3_secret_access_key|secret_access_key|secret_key|account_key|sas_token";

/** `name = value` where the value is quoted ('…' or "…", backslash escapes) or runs to a separator. */
const PARAMETER = new RegExp(
  `(?<![\\w-])(${SECRET_PARAMETER})(\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'|"(?:[^"\\\\]|\\\\.)*"|[^\\s&;#]*)`,
  "giu",
);

const MASK = "***";

/**
 * The user-info password of a URL-shaped string: where it starts and the password, or undefined.
 * The user-info runs to the last "@" before the query, so a password holding "@" or "/" (which
 * people write unencoded) is hidden whole; the user name holds none of ":/@?#".
 */
function urlPassword(dsn: string): { start: number; password: string } | undefined {
  const user = /^[a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:/iu.exec(dsn);
  if (!user) return undefined;
  const query = dsn.search(/[?#]/u);
  const at = dsn.lastIndexOf("@", query === -1 ? dsn.length : query);
  if (at < user[0].length) return undefined;
  const password = dsn.slice(user[0].length, at);
  return password === "" ? undefined : { start: user[0].length, password };
}

/** The secret values of a DSN, as written (quotes included), in order of appearance. */
function writtenSecrets(dsn: string): string[] {
  const found: string[] = [];
  const url = urlPassword(dsn);
  if (url) found.push(url.password);
  for (const match of dsn.matchAll(PARAMETER)) {
    const value = match[3] ?? "";
    if (value !== "" && value !== "''" && value !== '""') found.push(value);
  }
  return found;
}

/** True when `dsn` carries a secret in any of the forms above. */
export function carriesSecret(dsn: string): boolean {
  return writtenSecrets(dsn).length > 0;
}

/** `dsn` with every secret replaced by "***"; everything else exactly as written. */
export function maskDsn(dsn: string): string {
  const url = urlPassword(dsn);
  const withoutUserInfo = url
    ? `${dsn.slice(0, url.start)}${MASK}${dsn.slice(url.start + url.password.length)}`
    : dsn;
  return withoutUserInfo.replace(PARAMETER, (whole, name: string, equals: string, value: string) =>
    value === "" || value === "''" || value === '""' ? whole : `${name}${equals}${MASK}`,
  );
}

/**
 * `text` with the secrets of `dsns` removed, in every spelling a message might quote them: each DSN
 * whole becomes its masked form, and each secret, as written, unquoted and percent-decoded, "***".
 */
export function redactSecrets(text: string, dsns: readonly string[]): string {
  let redacted = text;
  for (const dsn of dsns) {
    const secrets = spellings(writtenSecrets(dsn));
    if (secrets.length === 0) continue;
    redacted = redacted.split(dsn).join(maskDsn(dsn));
    for (const secret of secrets) redacted = redacted.split(secret).join(MASK);
  }
  return redacted;
}

/** Each secret as written, without its quotes, and decoded; longest first, so none is left in part. */
function spellings(written: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of written) {
    const quoted = /^(['"])(.*)\1$/su.exec(secret);
    // A quoted value means itself unquoted, with its backslash escapes undone (libpq's rule).
    const unquoted = quoted ? (quoted[2] ?? "").replace(/\\(.)/gsu, "$1") : secret;
    for (const form of [
      secret,
      quoted?.[2] ?? secret,
      unquoted,
      decode(unquoted),
      encodeURIComponent(unquoted),
    ]) {
      if (form !== "") all.add(form);
    }
  }
  return [...all].sort((a, b) => b.length - a.length);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
