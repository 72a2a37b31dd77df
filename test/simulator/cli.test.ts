// The simulator command: flags parsed, banner lines written through `out`, the server usable and closable.
import { afterEach, describe, expect, it } from "vitest";
import { parseSimulatorArgs, runSimulatorCli } from "../../src/simulator/cli.js";

const handles: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

describe("runSimulatorCli", () => {
  it("starts on an ephemeral port and prints the URL and the credentials it accepts", async () => {
    const lines: string[] = [];
    const h = await runSimulatorCli(
      [
        "--seed",
        "5",
        "--key=sk_test_cli",
        "--samples",
        "3",
        "--merchant-id",
        "11111111-2222-4333-8444-555555555555",
      ],
      (l) => lines.push(l),
    );
    handles.push(h);
    const url = /^SpacePay simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0] ?? "")?.[1];
    expect(url).toBeDefined();
    const text = lines.join("\n");
    expect(text).toContain("sk_test_cli");
    expect(text).toContain("simulator_bearer_token");
    expect(text).toContain("11111111-2222-4333-8444-555555555555");
    const res = await fetch(`${url}/v1/external/secretkey-auth/payments`, {
      headers: { "X-SpacePay-Secret-Key": "sk_test_cli" },
    });
    expect(((await res.json()) as { pagination: { total: number } }).pagination.total).toBe(3);
  });

  it("rejects unknown flags and malformed values with the usage", () => {
    expect(() => parseSimulatorArgs(["--verbose"])).toThrow(/unknown argument: --verbose[\s\S]*Usage/);
    expect(() => parseSimulatorArgs(["--port", "http"])).toThrow(/--port must be an integer/);
    expect(() => parseSimulatorArgs(["--seed"])).toThrow(/--seed needs a value/);
    expect(() => parseSimulatorArgs(["--now", "yesterday"])).toThrow(/--now/);
    expect(() => parseSimulatorArgs(["--webhook-url", "http://127.0.0.1:3000/webhooks/spacepay"])).toThrow(
      /--webhook-url and --webhook-secret go together/,
    );
    expect(() => parseSimulatorArgs(["--webhook-url", "ftp://x", "--webhook-secret", "s"])).toThrow(
      /--webhook-url must be an http\(s\) URL/,
    );
  });

  it("parses every flag", () => {
    expect(
      parseSimulatorArgs([
        "--port=8080",
        "--bearer",
        "tok",
        "--expiry-minutes",
        "5",
        "--processing-ms",
        "0",
        "--now",
        "2026-01-01T00:00:00Z",
        "--webhook-url",
        "http://127.0.0.1:3000/webhooks/spacepay",
        "--webhook-secret=whsec_cli",
      ]),
    ).toMatchObject({
      port: 8080,
      bearerToken: "tok",
      expiryMinutes: 5,
      processingMs: 0,
      now: "2026-01-01T00:00:00Z",
      webhooks: { url: "http://127.0.0.1:3000/webhooks/spacepay", secret: "whsec_cli" },
    });
  });
});
