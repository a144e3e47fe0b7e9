/**
 * Starts the standalone topology, prints its URLs and stops it on Ctrl-C:
 *
 *   make build && npx tsx e2e/standalone/start.ts [--logs]
 */
import { startStandaloneTopology } from "./topology.js";

const topology = await startStandaloneTopology({ echo: process.argv.includes("--logs") });
console.log(`load balancer  ${topology.lb}  (GraphQL ${topology.lb}/graphql, AdminUI ${topology.lb}/admin)`);
console.log(`management     ${topology.management}`);
for (const worker of topology.workers) console.log(`${worker.name.padEnd(15)}${worker.url}`);
console.log(`core database  ${topology.coreDb}`);
console.log(`redis (L2)     ${topology.redis.address}  (requirepass: the compose file's password)`);
console.log(`nginx log      ${topology.accessLog}`);
console.log("Ctrl-C stops everything.");
await new Promise((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});
await topology.stop();
