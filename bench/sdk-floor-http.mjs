// The HTTP SDK floor: the official v2 `createMcpHandler` (a server per request, built by its factory)
// behind node:http, serving the floor server (sdk-floor-server.mjs: one tool making the same GET our
// get_payment makes). Whatever our HTTP server costs above this is ours. Prints its URL on stdout.
// Usage: node bench/sdk-floor-http.mjs <api url> <merchant key>
import { createServer } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { floorServer } from "./sdk-floor-server.mjs";

const [apiUrl, key] = process.argv.slice(2);
const factory = floorServer("sdk-floor-http", apiUrl, key);

const handle = toNodeHandler(createMcpHandler(factory, { legacy: "reject" }));
const http = createServer((req, res) => void handle(req, res));
http.keepAliveTimeout = 60_000;
http.listen(0, "127.0.0.1", () =>
  process.stdout.write(`listening on http://127.0.0.1:${http.address().port}/mcp\n`),
);
// An orderly exit on SIGTERM, so `node --cpu-prof` can write the floor's profile too.
process.once("SIGTERM", () => process.exit(0));
