// What the server says about its lists changing is what it does: the lists are fixed for a build, and
// only over stdio does the warm start announce one (a listing served from an out-of-date cache), so
// tools, prompts and resources declare listChanged there and not over HTTP (see create-server.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useServedHarness } from "../helpers/http-harness.js";
import { builtServerEnv, httpClient2026, stdioClient2026, type BuiltServerEnv } from "../helpers/mcp2026.js";

const { h, http } = useServedHarness();
let stdio: BuiltServerEnv;
beforeAll(() => {
  stdio = builtServerEnv(h.sim.url);
});
afterAll(() => stdio?.remove());

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
