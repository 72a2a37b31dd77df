// The audit log: durable JSON lines, private to the owner, never holding a secret.
import fs from "node:fs";
import path from "node:path";
import { describe, expect } from "vitest";
import { it } from "../helpers/fixtures.js";
import { registerSecret } from "../../src/log.js";
import { AUDIT_FILE, openAuditLog, type AuditEntry } from "../../src/safety/index.js";
import { fileMode } from "./helpers.js";

function entry(i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date(1_700_000_000_000 + i).toISOString(),
    event: "outcome",
    tool: "create_payment",
    args: { orderId: `order-${i}` },
    confirmation: "token",
    idempotencyKey: `key-${i}`,
    outcome: "done",
    ...extra,
  };
}

describe("audit log", () => {
  it("appends one JSON line per entry to a 0600 file", ({ stateDir: dir }) => {
    const audit = openAuditLog(dir);
    audit.append(entry(1, { event: "intent", outcome: undefined }));
    audit.append(entry(1));
    audit.close();
    const file = path.join(dir, AUDIT_FILE);
    expect(fileMode(file)).toBe(0o600);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as AuditEntry).event)).toEqual(["intent", "outcome"]);
  });

  it("masks registered secrets wherever they appear in an entry", ({ stateDir: dir }) => {
    const secret = "sk_test_audit_secret_98765";
    registerSecret(secret);
    const audit = openAuditLog(dir);
    audit.append(
      entry(1, {
        args: { customMetadata: { note: `key is ${secret}` } },
        error: { class: "E", message: secret },
      }),
    );
    audit.close();
    const text = fs.readFileSync(path.join(dir, AUDIT_FILE), "utf8");
    expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
  });

  it("reads back the most recent entries in order, across chunk boundaries", ({ stateDir: dir }) => {
    const audit = openAuditLog(dir);
    const padding = "x".repeat(2_000);
    for (let i = 0; i < 120; i++) audit.append(entry(i, { args: { orderId: `order-${i}`, padding } }));
    const recent = audit.readRecent(50);
    expect(recent).toHaveLength(50);
    expect(recent[0]?.idempotencyKey).toBe("key-70");
    expect(recent[49]?.idempotencyKey).toBe("key-119");
    expect(audit.readRecent(500)).toHaveLength(120);
    audit.close();
  });

  it("skips a line torn by a crash and keeps the rest", ({ stateDir: dir }) => {
    const audit = openAuditLog(dir);
    audit.append(entry(1));
    fs.appendFileSync(path.join(dir, AUDIT_FILE), '{"time":"2025-');
    fs.appendFileSync(path.join(dir, AUDIT_FILE), "\n");
    audit.append(entry(2));
    expect(audit.readRecent(10).map((e) => e.idempotencyKey)).toEqual(["key-1", "key-2"]);
    audit.close();
  });

  it("returns nothing for a log that does not exist yet", ({ stateDir: dir }) => {
    const audit = openAuditLog(dir);
    fs.rmSync(audit.file);
    expect(audit.readRecent(50)).toEqual([]);
    audit.close();
  });
});
