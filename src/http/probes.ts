// Probes for a load balancer or an orchestrator: GET /healthz (the process serves) and GET /readyz
// (every readiness check holds). Two route rows, open to anyone: they reveal only which checks fail,
// never a value, a setting or a secret.
import { anyone, answerJson, get, type Route } from "./edge.js";

export const PROBE_PATHS = ["/healthz", "/readyz"] as const;

/** Each readiness check by name: true when it holds. */
export type Readiness = Record<string, boolean>;

export function probeRoutes(readiness: () => Promise<Readiness>): Route[] {
  return [
    get(["/healthz"], anyone, (_req, res) => answerJson(res, { status: "ok" })),
    get(["/readyz"], anyone, async (_req, res) => {
      const checks = await readiness();
      const failing = Object.keys(checks).filter((name) => !checks[name]);
      const body = { status: failing.length ? "not ready" : "ready", failing, checks };
      // No cache may keep a probe's answer: the next one must see a change.
      res.writeHead(failing.length ? 503 : 200, {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
      res.end(JSON.stringify(body));
    }),
  ];
}
