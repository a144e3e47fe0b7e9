import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectData } from "./harness/graphql-data.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { SHOP_CATALOG, createShopDatabase } from "./harness/shop-db.js";
import { startInProcessWorker, type GraphQLResponse, type InProcessWorker } from "./harness/worker.js";

/**
 * hugr's permissions applied by the one engine, checked against SQL: a node on a PostgreSQL core
 * database with the shop database as a data source, SECRET_KEY set. The admin (secret key) writes
 * roles and permission rows through the core module, then asks as a role by impersonation (the
 * admin role may impersonate), which also gives the placeholders a user id and name.
 */
const SECRET = "perm-test-secret";
const ADMIN = { "x-hugr-secret-key": SECRET };
/** The clerk of customer 3. */
const CLERK = {
  ...ADMIN,
  "x-hugr-impersonated-role": "clerk",
  "x-hugr-impersonated-user-id": "3",
  "x-hugr-impersonated-user-name": "Oslo",
};
const CUSTOMER = 3;

let pg: PostgresInstance;
let node: InProcessWorker;
let shop: postgres.Sql;

const ask = (headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
  node.gql(query, variables, headers);
const asAdmin = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ask(ADMIN, query, variables).then((r) => expectData<T>(r));
const asClerk = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  ask(CLERK, query, variables).then((r) => expectData<T>(r));

function expectForbidden(response: GraphQLResponse): void {
  expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(response.body)).toBe("FORBIDDEN");
  expect(response.body.data ?? null).toBeNull();
}

async function permit(row: Record<string, unknown>): Promise<void> {
  await asAdmin(
    `mutation($data: role_permissions_mut_input_data!) { core { insert_role_permissions(data: $data) { role } } }`,
    { data: { role: "clerk", hidden: false, disabled: false, ...row } },
  );
}

async function sql<T extends object = Record<string, unknown>>(text: string): Promise<T[]> {
  return (await shop.unsafe(text)) as unknown as T[];
}

const ids = (rows: readonly { id: unknown }[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

beforeAll(async () => {
  pg = await startPostgres();
  const shopUrl = await createShopDatabase(pg, "shop_perm");
  shop = postgres(shopUrl, { max: 2, onnotice: () => {} });
  // With the cache on: role permissions are looked up through it, so every "applies at once" below
  // also proves that writes to the core tables drop them (e2e/cluster/auth.test.ts runs without).
  node = await startInProcessWorker({ CORE_DB_PATH: pg.url, SECRET_KEY: SECRET, CACHE_L1_ENABLED: "true" });
  await asAdmin(
    `mutation($data: data_sources_mut_input_data!) { core { insert_data_sources(data: $data) { name } } }`,
    {
      data: {
        name: "shop",
        type: "postgres",
        prefix: "",
        path: shopUrl,
        as_module: false,
        read_only: false,
        self_defined: false,
        catalogs: [{ name: "shop", type: "text", path: SHOP_CATALOG }],
      },
    },
  );
  const loaded = await asAdmin<{
    function: { core: { load_data_source: { success: boolean; message: string } } };
  }>(`mutation { function { core { load_data_source(name: "shop") { success message } } } }`);
  expect(loaded.function.core.load_data_source.success, loaded.function.core.load_data_source.message).toBe(
    true,
  );
  await asAdmin(
    `mutation { core { insert_roles(data: {name: "clerk", description: "a shop clerk"}) { name } } }`,
  );
  // Reads: a clerk sees the orders of its own customer (table level, so everywhere orders are read).
  await permit({
    type_name: "data-object:query",
    field_name: "orders",
    filter: { customer_id: { eq: "[$auth.user_id_int]" } },
  });
  // Updates: its own rule (new orders of anyone), not the query one.
  await permit({ type_name: "data-object:update", field_name: "orders", filter: { status: { eq: "new" } } });
  // Inserted orders are always new; inserted customers live in the clerk's city (its user name).
  await permit({ type_name: "data-object:insert", field_name: "orders", data: { status: "new" } });
  await permit({
    type_name: "Mutation",
    field_name: "insert_customers",
    data: { city: "[$auth.user_name]" },
  });
  // A field the clerk may not see in introspection, one it may not use, one input key it may not give.
  await permit({ type_name: "customers", field_name: "email", hidden: true });
  await permit({ type_name: "customers", field_name: "vip", disabled: true });
  await permit({ type_name: "orders_mut_input_data", field_name: "discount", disabled: true });
}, 120_000);

afterAll(async () => {
  await node?.close();
  await shop?.end({ timeout: 5 });
  await pg?.stop();
});

describe("row filters on every read", () => {
  it("lists, _by_pk and aggregations see only the rows the filter lets through", async () => {
    const own = await sql<{ id: number }>(`select id from orders where customer_id = ${CUSTOMER}`);
    expect(own.length).toBeGreaterThan(0);
    const got = await asClerk<{ orders: { id: number; customer_id: number }[] }>(
      `{ orders { id customer_id } }`,
    );
    expect(ids(got.orders)).toEqual(ids(own));

    const [other] = await sql<{ id: number }>(
      `select id from orders where customer_id <> ${CUSTOMER} order by id limit 1`,
    );
    const byPk = await asClerk<{ orders_by_pk: unknown }>(`{ orders_by_pk(id: ${other?.id}) { id } }`);
    expect(byPk.orders_by_pk).toBeNull();
    const admin = await asAdmin<{ orders_by_pk: { id: number } }>(
      `{ orders_by_pk(id: ${other?.id}) { id } }`,
    );
    expect(admin.orders_by_pk.id).toBe(other?.id);

    const [totals] = await sql<{ count: string; sum: string }>(
      `select count(*) as count, sum(total) as sum from orders where customer_id = ${CUSTOMER}`,
    );
    const agg = await asClerk<{ orders_aggregation: { _rows_count: number; total: { sum: number } } }>(
      `{ orders_aggregation { _rows_count total { sum } } }`,
    );
    expect(agg.orders_aggregation._rows_count).toBe(Number(totals?.count));
    expect(agg.orders_aggregation.total.sum).toBeCloseTo(Number(totals?.sum), 2);
  });

  it("relation subqueries, relation aggregations and filters through relations are filtered too", async () => {
    const own = await sql<{ id: number }>(`select id from orders where customer_id = ${CUSTOMER}`);
    const got = await asClerk<{
      customers: { id: number; orders: { id: number }[]; orders_aggregation: { _rows_count: number } }[];
    }>(`{ customers(filter: {id: {in: [${CUSTOMER}, 4]}}, order_by: [{field: "id"}]) {
          id orders { id } orders_aggregation { _rows_count } } }`);
    const [mine, theirs] = got.customers;
    expect(ids(mine?.orders ?? [])).toEqual(ids(own));
    expect(mine?.orders_aggregation._rows_count).toBe(own.length);
    expect(theirs?.orders).toEqual([]);
    expect(theirs?.orders_aggregation._rows_count).toBe(0);

    // Customers with an order the clerk can see: only its own customer.
    const through = await asClerk<{ customers: { id: number }[] }>(
      `{ customers(filter: {orders: {any_of: {total: {gte: 0}}}}) { id } }`,
    );
    expect(ids(through.customers)).toEqual([CUSTOMER]);
    // The many-to-one way: an order item's order is null when the order is someone else's.
    const [item] = await sql<{ order_id: number; product_id: number }>(
      `select i.order_id, i.product_id from order_items i join orders o on o.id = i.order_id where o.customer_id <> ${CUSTOMER} limit 1`,
    );
    const items = await asClerk<{ order_items_by_pk: { order: unknown } }>(
      `{ order_items_by_pk(order_id: ${item?.order_id}, product_id: ${item?.product_id}) { order { id } } }`,
    );
    expect(items.order_items_by_pk.order).toBeNull();
  });
});

describe("writes", () => {
  it("update uses its own rule: new orders of anyone, nothing else", async () => {
    const expected = await sql<{ id: number }>(`select id from orders where status = 'new'`);
    const result = await asClerk<{ update_orders: { affected_rows: number } }>(
      `mutation { update_orders(filter: {}, data: {note: "seen by a clerk"}) { affected_rows } }`,
    );
    expect(result.update_orders.affected_rows).toBe(expected.length);
    const noted = await sql<{ id: number }>(`select id from orders where note = 'seen by a clerk'`);
    expect(ids(noted)).toEqual(ids(expected));
  });

  it("inserts get the forced data, nested rows included, and the placeholder's value", async () => {
    const inserted = await asClerk<{ insert_customers: { id: number } }>(
      `mutation { insert_customers(data: {name: "New Co", email: "new@co.example", city: "Paris",
          orders: [{id: 9001, total: 10, status: "shipped", ordered_at: "2026-01-01T00:00:00Z"}]}) { id } }`,
    );
    const [customer] = await sql<{ city: string }>(
      `select city from customers where id = ${inserted.insert_customers.id}`,
    );
    expect(customer?.city).toBe("Oslo");
    const [order] = await sql<{ status: string }>(`select status from orders where id = 9001`);
    expect(order?.status).toBe("new");
  });

  it("an input key the role may not give refuses the write, which changes nothing", async () => {
    const before = await sql<{ count: string }>(`select count(*) as count from orders`);
    const refused = await ask(
      CLERK,
      `mutation { insert_orders(data: {id: 9002, customer_id: ${CUSTOMER}, total: 5, discount: 1, status: "x", ordered_at: "2026-01-01T00:00:00Z"}) { id } }`,
    );
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await sql(`select count(*) as count from orders`)).toEqual(before);
  });

  it("delete falls back to the query rule: another customer's order stays", async () => {
    const [other] = await sql<{ id: number }>(
      `select o.id from orders o where customer_id <> ${CUSTOMER} and not exists (select 1 from order_items i where i.order_id = o.id) limit 1`,
    );
    if (other) {
      const refused = await asClerk<{ delete_orders: { affected_rows: number } }>(
        `mutation { delete_orders(filter: {id: {eq: ${other.id}}}) { affected_rows } }`,
      );
      expect(refused.delete_orders.affected_rows).toBe(0);
      expect(await sql(`select id from orders where id = ${other.id}`)).toHaveLength(1);
    }
    const own = await asClerk<{ delete_orders: { affected_rows: number } }>(
      `mutation { delete_orders(filter: {id: {eq: 9001}}) { affected_rows } }`,
    );
    // 9001 belongs to the customer inserted above, not to customer 3: the clerk cannot read it.
    expect(own.delete_orders.affected_rows).toBe(0);
  });
});

describe("disabled and hidden fields", () => {
  it("a disabled field refuses the whole operation; a hidden one is queryable but not introspected", async () => {
    expectForbidden(await ask(CLERK, `{ customers(limit: 1) { id vip } }`));
    const email = await asClerk<{ customers: { email: string }[] }>(
      `{ customers(limit: 1, order_by: [{field: "id"}]) { email } }`,
    );
    const [first] = await sql<{ email: string }>(`select email from customers order by id limit 1`);
    expect(email.customers[0]?.email).toBe(first?.email);

    const fields = async (headers: Record<string, string>) => {
      const got = expectData<{ __type: { fields: { name: string }[] } }>(
        await ask(headers, `{ __type(name: "customers") { fields { name } } }`),
      );
      return got.__type.fields.map((f) => f.name);
    };
    expect(await fields(CLERK)).not.toContain("email");
    expect(await fields(CLERK)).toContain("vip");
    expect(await fields(ADMIN)).toContain("email");
  });

  it("introspection entry points are never refused, even under a catch-all rule", async () => {
    await asAdmin(`mutation { core { insert_roles(data: {name: "locked"}) { name } } }`);
    await asAdmin(
      `mutation { core { insert_role_permissions(data: {role: "locked", type_name: "*", field_name: "*", disabled: true}) { role } } }`,
    );
    const locked = { ...ADMIN, "x-hugr-impersonated-role": "locked" };
    expectData(await ask(locked, `{ __typename __schema { queryType { name } } }`));
    expectForbidden(await ask(locked, `{ orders { id } }`));
  });
});

describe("the seeded roles", () => {
  it("public may not use the core module but may ask who it is", async () => {
    const asPublic = { ...ADMIN, "x-hugr-impersonated-role": "public" };
    expectForbidden(await ask(asPublic, `{ core { data_sources { name } } }`));
    expectForbidden(await ask(asPublic, `mutation { core { delete_api_keys(filter: {}) { name } } }`));
    expectForbidden(
      await ask(asPublic, `mutation { function { core { load_data_source(name: "shop") { success } } } }`),
    );
    const me = expectData<{
      function: { core: { auth: { me: { role: string; impersonated_by_user_role: string } } } };
    }>(await ask(asPublic, `{ function { core { auth { me { role impersonated_by_user_role } } } } }`));
    expect(me.function.core.auth.me).toEqual({ role: "public", impersonated_by_user_role: "admin" });
  });

  it("readonly reads data sources but runs no mutation", async () => {
    const readonly = { ...ADMIN, "x-hugr-impersonated-role": "readonly" };
    expectData(await ask(readonly, `{ customers(limit: 1) { id } }`));
    expectForbidden(
      await ask(readonly, `mutation { update_orders(filter: {id: {eq: 1}}, data: {note: "x"}) { success } }`),
    );
  });
});

describe("self-inspection", () => {
  it("my_permissions and check_access answer for the caller's role", async () => {
    const got = await asClerk<{
      function: {
        core: {
          auth: {
            my_permissions: {
              role_name: string;
              disabled: boolean;
              permissions: { object: string; field: string; hidden: boolean; disabled: boolean }[];
            };
            check_access: { field: string; enabled: boolean; visible: boolean }[];
          };
        };
      };
    }>(`{ function { core { auth {
          my_permissions { role_name disabled permissions { object field hidden disabled } }
          check_access(type_name: "customers", fields: "id,email,vip") { field enabled visible } } } } }`);
    const { my_permissions, check_access } = got.function.core.auth;
    expect(my_permissions.role_name).toBe("clerk");
    expect(my_permissions.permissions).toContainEqual({
      object: "customers",
      field: "vip",
      hidden: false,
      disabled: true,
    });
    expect(check_access).toEqual([
      { field: "id", enabled: true, visible: true },
      { field: "email", enabled: true, visible: false },
      { field: "vip", enabled: false, visible: true },
    ]);
  });

  it("check_access_info shows what reading through a field applies, placeholders replaced", async () => {
    const got = await asClerk<{
      function: {
        core: { auth: { check_access_info: { enabled: boolean; visible: boolean; filter: unknown } } };
      };
    }>(
      `{ function { core { auth { check_access_info(type_name: "Query", field: "orders") { enabled visible filter } } } } }`,
    );
    expect(got.function.core.auth.check_access_info).toEqual({
      enabled: true,
      visible: true,
      filter: { customer_id: { eq: CUSTOMER } },
    });
  });

  it("a new row filter applies to a document the role already ran", async () => {
    const document = `{ customers(filter: {id: {in: [1, 2, 3]}}, order_by: [{field: "id"}]) { id } }`;
    expect(ids((await asClerk<{ customers: { id: number }[] }>(document)).customers)).toEqual([1, 2, 3]);
    await permit({
      type_name: "data-object:query",
      field_name: "customers",
      filter: { id: { eq: CUSTOMER } },
    });
    expect(ids((await asClerk<{ customers: { id: number }[] }>(document)).customers)).toEqual([CUSTOMER]);
    await asAdmin(
      `mutation { core { delete_role_permissions(filter: {role: {eq: "clerk"}, type_name: {eq: "data-object:query"}, field_name: {eq: "customers"}}) { role } } }`,
    );
    expect(ids((await asClerk<{ customers: { id: number }[] }>(document)).customers)).toEqual([1, 2, 3]);
  });

  it("a change to a role's permissions applies to its next request", async () => {
    expectForbidden(await ask(CLERK, `{ customers(limit: 1) { vip } }`));
    await asAdmin(
      `mutation { core { delete_role_permissions(filter: {role: {eq: "clerk"}, type_name: {eq: "customers"}, field_name: {eq: "vip"}}) { role } } }`,
    );
    expectData(await ask(CLERK, `{ customers(limit: 1) { vip } }`));
  });
});
