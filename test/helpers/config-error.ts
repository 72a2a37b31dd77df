// The ConfigError that `fn` throws, failing the test when it throws anything else or nothing.
import { expect } from "vitest";
import { ConfigError } from "../../src/config/index.js";

export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}
