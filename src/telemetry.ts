// The instrumentation points: what the server tells OpenTelemetry, as one small interface whose default
// does nothing. `telemetry/otel.ts`, imported only when the configuration turns OpenTelemetry on,
// installs the real one; with it off no OpenTelemetry module is loaded and each point costs one call.
// Nothing passed here may hold a secret or a body: these values are exported as they are.

/** The guard's steps, each a child span of the money call's request. */
export type GuardStep = "policy" | "confirmation" | "reservation" | "audit";

/** One MCP request as the server span names it (MCP semantic conventions). */
export interface RequestInfo {
  method: string;
  /** The tool, prompt or resource the request is about (the span name's `{target}`). */
  target?: string;
  requestId: string | number;
  protocolVersion?: string;
  sessionId?: string;
  /** W3C trace context the client sent: the 2026-07-28 `_meta` keys, else the HTTP headers. */
  traceparent?: string;
  tracestate?: string;
}

/** One SpacePay API attempt, as the client reports it once it is over. */
export interface UpstreamAttempt {
  method: string;
  /** The path actually requested (ids included); the span and metric use its route template. */
  path: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  /** `Name: message` of a failure without a response (only the name is exported). */
  error?: string;
}

/** How a money call ended (the guard's audit outcome). */
export interface MoneyOutcome {
  tool: string;
  status: string;
  /** The rule behind a refusal. */
  rule?: string;
  /** How it was confirmed (elicitation, token, app…), null when it ended before anyone was asked. */
  channel: string | null;
}

export interface Telemetry {
  /** Runs one MCP request's handler inside its server span; `info` is read only when tracing. */
  request<T>(info: () => RequestInfo, run: () => T): T;
  /** Runs one guard step inside its child span; `describe` adds attributes from its result. */
  step<T>(
    name: GuardStep,
    run: () => Promise<T>,
    describe?: (result: T) => Record<string, string>,
  ): Promise<T>;
  upstream(attempt: UpstreamAttempt): void;
  moneyOutcome(outcome: MoneyOutcome): void;
  /** A request that waited for the upstream request budget before its attempt. */
  budgetWait(): void;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = {
  request: (_info, run) => run(),
  step: (_name, run) => run(),
  upstream() {},
  moneyOutcome() {},
  budgetWait() {},
  shutdown: async () => {},
};

/** The process's instrumentation: the no-op until `installTelemetry`. A live binding: read it at each use. */
export let telemetry: Telemetry = OFF;

export function installTelemetry(t: Telemetry): void {
  telemetry = t;
}
