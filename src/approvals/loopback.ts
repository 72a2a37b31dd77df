// The approval pages on http://localhost:<port>, loopback only: for stdio servers and for
// `approvers add` on SQLite. "localhost", never 127.0.0.1, in every URL: WebAuthn refuses an IP address
// as relying-party id. Listens on 127.0.0.1 and, when the machine has it, ::1 (browsers try both).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { log } from "../log.js";

export interface LoopbackPages {
  /** http://localhost:<port> */
  baseUrl: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Serves `handle` on localhost (`port` 0: a free one); anything else answers 404. */
export async function serveLoopbackPages(port: number, handle: Handler): Promise<LoopbackPages> {
  let chosen = port;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // DNS rebinding: only the names the pages are served under.
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `localhost:${chosen}` && host !== `127.0.0.1:${chosen}` && host !== `[::1]:${chosen}`) {
      res.writeHead(403, { "content-type": "text/plain" }).end("Forbidden: Host header not allowed");
      return;
    }
    handle(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      })
      .catch((err: Error) => {
        log("error", `approval pages: ${err.message}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      });
  };
  const v4 = createServer(onRequest);
  chosen = await listen(v4, port, "127.0.0.1");
  const servers = [v4];
  const v6 = createServer(onRequest);
  try {
    await listen(v6, chosen, "::1");
    servers.push(v6);
  } catch {
    // No IPv6 loopback here (or the port is taken on it): browsers fall back to 127.0.0.1.
  }
  return {
    baseUrl: `http://localhost:${chosen}`,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
