// The one cleaner for untrusted text: what it removes, and that a clean string comes back as it was
// (every string of every answer passes here, so the clean case takes a shortcut that must not skip
// anything the full cleaning would remove).
import { describe, expect, it } from "vitest";
import { cleanDeep, cleanLines, cleanText } from "../src/text.js";

describe("cleanText", () => {
  it("returns a string with nothing to remove unchanged", () => {
    for (const s of ["", "plain ASCII", "Ünïcödé · 𝕏 · 日本語", "eip155:84532", "$1,234.56"]) {
      expect(cleanText(s)).toBe(s);
    }
  });

  it("removes ANSI escapes whole, not just their escape character", () => {
    expect(cleanText("\u001b[31mred\u001b[0m text")).toBe("red text");
    expect(cleanText("a\u001b]b")).toBe("ab");
  });

  it("removes control, format, separator, tag and other invisible characters", () => {
    const hidden = [
      "\u0000",
      "\u0007",
      "\u007f",
      "\u200b",
      "\u202e",
      "\u2028",
      "\u{E0041}",
      "\uFE0F",
      "\u3164",
      "\ud800",
    ];
    for (const ch of hidden) expect(cleanText(`a${ch}b`)).toBe("ab");
  });
});

describe("cleanLines and cleanDeep", () => {
  it("keep our line breaks and clean every string, keys included", () => {
    expect(cleanLines("one\u200b\ntwo\u001b[1m")).toBe("one\ntwo");
    expect(cleanDeep({ "k\u200b": ["v\u202e", 5, null], ok: "fine" })).toEqual({
      k: ["v", 5, null],
      ok: "fine",
    });
  });
});
