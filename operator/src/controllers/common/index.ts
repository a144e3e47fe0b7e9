export { clusterKeyOf } from "./served.js";
