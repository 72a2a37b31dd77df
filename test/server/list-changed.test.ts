// What the server says about its lists changing is what it does: the lists are fixed for a build, and
// only over stdio does the warm start announce one (a listing served from an out-of-date cache), so
// tools, prompts and resources declare listChanged there and not over HTTP (see create-server.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningHttp } from "../../src/http/serve-http.js";
import { serveHarness } from "../helpers/http-harness.js";
import { startHarness, type Harness } from "../helpers/mcp-harness.js";
import { builtServerEnv, httpClient2026, stdioClient2026, type BuiltServerEnv } from "../helpers/mcp2026.js";

let h: Harness;
let http: RunningHttp;
let stdio: BuiltServerEnv;

beforeAll(async () => {
  h = await startHarness();
  http = await serveHarness(h);
  stdio = builtServerEnv(h.sim.url);
});
afterAll(async () => {
  await http?.close();
  await h?.close();
  stdio?.remove();
});

describe("listChanged capabilities", () => {
  it("over HTTP: no list declares changes it never sends", async () => {
    const client = await httpClient2026(http.url);
    try {
      const caps = client.getServerCapabilities();
      expect(caps?.prompts).toEqual({ listChanged: false });
      expect(caps?.resources?.listChanged).toBe(false);
      expect(caps?.resources?.subscribe).toBe(true);
      expect(caps?.tools?.listChanged).toBe(false);
    } finally {
      await client.close();
    }
  }, 20_000);

  it("over stdio: the warm start may announce them, so all three declare it", async () => {
    const { client, close } = await stdioClient2026(stdio.env);
    try {
      const caps = client.getServerCapabilities();
      expect(caps?.prompts).toEqual({ listChanged: true });
      expect(caps?.resources?.listChanged).toBe(true);
      expect(caps?.tools?.listChanged).toBe(true);
    } finally {
      await close();
    }
  }, 20_000);
});
