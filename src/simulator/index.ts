// The SpacePay simulator's public surface: start it in process, drive it through `control`.
export { startSimulator, DEFAULT_BEARER_TOKEN, DEFAULT_MERCHANT_ID, DEFAULT_SECRET_KEY } from "./server.js";
export type { SimulatorHandle, SimulatorOptions } from "./server.js";
export type {
  ControlPayOptions,
  RequestFilter,
  SimulatorControl,
  SimulatorCounts,
  SimulatorInfo,
} from "./control.js";
export type { FaultKind, FaultRule, FaultSpec } from "./faults.js";
export type { PayOutcome } from "./payments.js";
export type { RecordedRequest } from "./recorder.js";
export type { WebhookDelivery, WebhookEventType, WebhookFaults, WebhookTarget } from "./webhooks.js";
export { ApiError } from "./errors.js";
export { runSimulatorCli } from "./cli.js";
