// Refused webhook deliveries are logged as a summary, not a line each (a misconfigured secret refuses
// every delivery; a scanner may post thousands): the first of a burst at once with its reason, the rest
// of the window as one line counted by reason, and after a quiet window the next one at once again.
import { afterEach, expect, it, vi } from "vitest";
import { refusalLog } from "../../src/webhooks/receiver.js";

afterEach(() => vi.restoreAllMocks());

it("logs the first refusal at once and the rest of its window as one summary by reason", async () => {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
  const { note } = refusalLog(200);
  const signature = { status: 401, message: "Unauthorized: X-SpacePay-Signature does not match" };
  const stale = { status: 400, message: "Bad request: X-SpacePay-Timestamp is not within 300 s of now" };

  for (let i = 0; i < 1000; i++) note(signature);
  note(stale);
  note(stale);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /warn: webhook refused \(401\): Unauthorized: X-SpacePay-Signature does not match/,
  );

  // When the window ends: one line for the other 1,001.
  await vi.waitFor(() => expect(lines).toHaveLength(2), { timeout: 5_000 });
  expect(lines[1]).toContain(
    "webhook: 1001 more deliveries refused in 0.2 s: 999 × (401) Unauthorized: X-SpacePay-Signature does not match; " +
      "2 × (400) Bad request: X-SpacePay-Timestamp is not within 300 s of now",
  );

  // The window closed with its summary: the next refusal is logged at once again.
  note(stale);
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatch(/webhook refused \(400\)/);
});

it("a summary still pending when the server stops is written at the stop", () => {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
  const refusals = refusalLog(60_000);
  const signature = { status: 401, message: "Unauthorized: X-SpacePay-Signature does not match" };
  for (let i = 0; i < 3; i++) refusals.note(signature);
  expect(lines).toHaveLength(1);
  refusals.flush();
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain("webhook: 2 more deliveries refused in 60 s: 2 × (401) Unauthorized");
  // Nothing is written twice: the window's timer finds nothing left.
  refusals.flush();
  expect(lines).toHaveLength(2);
});
