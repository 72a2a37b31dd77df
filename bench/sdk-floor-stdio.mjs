// The stdio SDK floor with a real call: the official v2 `serveStdio` serving the floor server
// (sdk-floor-server.mjs). What our stdio server adds to a call above this is ours; what this adds above
// the direct GET is the SDK's (and a second process hop).
// Usage: node bench/sdk-floor-stdio.mjs <api url> <merchant key>
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { floorServer } from "./sdk-floor-server.mjs";

const [apiUrl, key] = process.argv.slice(2);
const handle = serveStdio(floorServer("sdk-floor-stdio", apiUrl, key));
process.stdin.once("end", () => void handle.close().then(() => process.exit(0)));
