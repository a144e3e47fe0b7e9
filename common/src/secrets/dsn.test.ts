import { describe, expect, it } from "vitest";
import { carriesSecret, maskDsn, redactSecrets } from "./dsn.js";

/** Every form a secret takes in the DSNs both engines accept: [case, DSN, masked form, the secret]. */
const WITH_SECRETS: [string, string, string, string][] = [
  ["URL user:password", "postgres://u:s3cret@db:5432/x", "postgres://u:***@db:5432/x", "s3cret"],
  ["URL password with @ and :", "postgres://u:p@ss:w@db/x", "postgres://u:***@db/x", "p@ss:w"],
  ["percent-encoded URL password", "postgresql://u:p%40ss@db/x", "postgresql://u:***@db/x", "p@ss"],
  ["query parameter", "postgres://u@db/x?password=s3cret", "postgres://u@db/x?password=***", "s3cret"],
  [
    "query parameter in another case, among others",
    "postgres://db/x?user=u&PassWord=s3cret&sslmode=require",
    "postgres://db/x?user=u&PassWord=***&sslmode=require",
    "s3cret",
  ],
  ["sslpassword", "postgres://u@db/x?sslpassword=k3y", "postgres://u@db/x?sslpassword=***", "k3y"],
  [
    "libpq key=value",
    "host=db user=u password=s3cret dbname=x",
    "host=db user=u password=*** dbname=x",
    "s3cret",
  ],
  ["libpq pwd", "host=db pwd=s3cret", "host=db pwd=***", "s3cret"],
  ["libpq pass", "host=db pass=s3cret", "host=db pass=***", "s3cret"],
  // libpq allows spaces around "=": the value is the next word, whatever it looks like.
  ["libpq, space after =", "password= host=db", "password= ***", "host=db"],
  [
    "libpq quoted, with spaces around =",
    "host=db password = 'two words' dbname=x",
    "host=db password = *** dbname=x",
    "two words",
  ],
  ["libpq quoted with an escaped quote", "password='it\\'s' host=db", "password=*** host=db", "it\\'s"],
  ["ADO style", "Server=db;User Id=u;Password=s3cret;", "Server=db;User Id=u;Password=***;", "s3cret"],
  ["MotherDuck token", "md:analytics?motherduck_token=tok3n", "md:analytics?motherduck_token=***", "tok3n"],
  [
    "DuckDB S3 secret",
    "s3://bucket/lake.duckdb?s3_access_key_id=AKIA&s3_secret_access_key=sk3y",
    "s3://bucket/lake.duckdb?s3_access_key_id=AKIA&s3_secret_access_key=***",
    "sk3y",
  ],
];

const WITHOUT_SECRETS = [
  "postgres://u@db:5432/x",
  "postgres://db/x?sslmode=require",
  "/data/lake.duckdb",
  "/data/lake.duckdb?access_mode=read_only",
  "host=db user=u dbname=x",
  "postgres://db/x?bypass=1",
  'type events @view(name: "events") { id: Int! @pk }',
];

describe("carriesSecret and maskDsn", () => {
  it.each(WITH_SECRETS)("%s: detected and masked", (_case, dsn, masked, secret) => {
    expect(carriesSecret(dsn)).toBe(true);
    expect(maskDsn(dsn)).toBe(masked);
    expect(maskDsn(dsn)).not.toContain(secret.replace(/\\/gu, ""));
  });

  it.each(WITHOUT_SECRETS)("%s: no secret, unchanged", (dsn) => {
    expect(carriesSecret(dsn)).toBe(false);
    expect(maskDsn(dsn)).toBe(dsn);
  });
});

describe("redactSecrets", () => {
  it.each(WITH_SECRETS)(
    "%s: quoted whole, as written or decoded, the secret never survives",
    (_case, dsn, masked, secret) => {
      const plain = secret.replace(/\\'/gu, "'");
      const message = `connect to ${dsn} failed; secret ${secret}; decoded ${decodeURIComponent(plain)}; encoded ${encodeURIComponent(plain)}`;
      const redacted = redactSecrets(message, [dsn]);
      expect(redacted).toContain(`connect to ${masked} failed`);
      for (const form of [secret, decodeURIComponent(plain), encodeURIComponent(plain)]) {
        expect(redacted).not.toContain(form);
      }
    },
  );

  it.each([
    [
      'spec.path: Invalid value: "postgres://u:pw-1@h/db"',
      ["postgres://u:pw-1@h/db"],
      'spec.path: Invalid value: "postgres://u:***@h/db"',
    ],
    ["the password pw-1 is weak", ["postgres://u:pw-1@h/db"], "the password *** is weak"],
    ["decoded p@ss, encoded p%40ss", ["postgres://u:p%40ss@h/db"], "decoded ***, encoded ***"],
    ["pair 'with space' and with space", ["host=h password='with space'"], "pair *** and ***"],
    ["no secret in /data/x.duckdb", ["/data/x.duckdb"], "no secret in /data/x.duckdb"],
    ["two: a1 b2", ["postgres://u:a1@h/db", "postgres://u:b2@h/db"], "two: *** ***"],
  ])("%s", (text, dsns, expected) => {
    expect(redactSecrets(text, dsns)).toBe(expected);
  });

  it("leaves a message alone when the DSN has no secret", () => {
    expect(redactSecrets("connect to postgres://u@db/x failed", ["postgres://u@db/x"])).toBe(
      "connect to postgres://u@db/x failed",
    );
  });
});
