/**
 * The data source the Kubernetes suites load: a PostgreSQL database with one small table, `events`,
 * and the hugr catalog describing it. The envtest suites (the scenarios' environment and
 * operator/test/datasources.envtest.test.ts) create it on their harness PostgreSQL with
 * {@link createEventsDatabase}; e2e/kind/run.sh creates the same table and rows in the kind cluster's
 * PostgreSQL (keep the two in step).
 */
import postgres from "postgres";
import { requirePassword, type PostgresInstance } from "../../worker/test/harness/postgres.js";

/** The catalog (a `text` catalog's path is the SDL itself) of the table `events`. */
export const EVENTS_SDL = `type events @table(name: "events") {
  id: Int! @pk
  name: String!
  created_at: Timestamp
}
`;

/** The rows of `events`, by id, as `{ events { id name } }` serves them. */
export const EVENTS_ROWS = [
  { id: 1, name: "first" },
  { id: 2, name: "second" },
];

/**
 * Where a data source serves the table `events`: the root field it gives the table (`<prefix>_events`
 * with a prefix), or, when it is `as_module`, `events` under the field `module` (the source's name):
 * as in hugr, a module's fields keep the table's name.
 */
export interface EventsField {
  field: string;
  module?: string;
}

/** The query of the rows of `events`, by id, where a data source serves them. */
export function eventsQuery({ field, module }: EventsField): string {
  const rows = `${field}(order_by: [{ field: "id", direction: ASC }]) { id name }`;
  return module ? `{ ${module} { ${rows} } }` : `{ ${rows} }`;
}

/** The rows in the data of an answer to {@link eventsQuery}. */
export function eventsIn(data: unknown, { field, module }: EventsField): unknown {
  const scope = (module ? (data as Record<string, unknown> | undefined)?.[module] : data) as
    Record<string, unknown> | undefined;
  return scope?.[field];
}

const SCHEMA = `
create table events (id integer primary key, name text not null, created_at timestamptz default now());
insert into events (id, name) values (1, 'first'), (2, 'second');
`;

/**
 * Creates database `name` on `pg` holding the table `events` and its rows; resolves with its URL, which
 * logs in as the harness's superuser (trusted: it carries no password).
 */
export async function createEventsDatabase(pg: PostgresInstance, name: string): Promise<string> {
  const url = await pg.createDatabase(name);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(SCHEMA);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return url;
}

/** `url` logging in as `user` with `password`. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

/**
 * A login role whose password the server checks (scram-sha-256), allowed to read and write `events`
 * in the database at `url` (made by {@link createEventsDatabase}); resolves with the DSN logging in as it.
 */
export async function createEventsRole(
  pg: PostgresInstance,
  url: string,
  role: string,
  password: string,
): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create role ${role} login password '${password}'`);
    await sql.unsafe(`grant select, insert, update, delete on table events to ${role}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await requirePassword(pg, role);
  return withCredentials(url, role, password);
}

/**
 * Rotates `role`'s password: sets the new one and ends the role's sessions, so that from now on a
 * connection logs in with the new password or not at all.
 */
export async function rotatePassword(pg: PostgresInstance, role: string, password: string): Promise<void> {
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`alter role ${role} password '${password}'`);
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
