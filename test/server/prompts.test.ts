// The prompts' day argument: real calendar dates pass through, today/yesterday resolve in UTC.
import { describe, expect, it } from "vitest";
import { resolveDay } from "../../src/server/prompts.js";

describe("resolveDay", () => {
  const now = new Date("2026-03-01T00:30:00Z");

  it("keeps a real YYYY-MM-DD and resolves today and yesterday in UTC", () => {
    expect(resolveDay("2024-02-29", now)).toBe("2024-02-29");
    expect(resolveDay("today", now)).toBe("2026-03-01");
    expect(resolveDay("Yesterday", now)).toBe("2026-02-28");
  });

  it("refuses days that do not exist and anything that is not a date", () => {
    for (const bad of ["2026-02-29", "2026-13-01", "2026-1-1", "tomorrow", "", "2026-11-20T00:00:00Z"]) {
      expect(() => resolveDay(bad, now), bad).toThrow(/Invalid argument "date"/);
    }
  });
});
