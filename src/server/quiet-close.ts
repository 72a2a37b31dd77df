// No exception on a normal request. The SDK's Protocol makes an SdkError("Connection closed") on every
// close, to fail what is still pending: a 2026-07-28 request's server (createMcpHandler's per-request
// transport) closes after every answer, and the one thing still registered then is its answered
// request's abort controller, so that error and its stack trace are made for nobody: ~3% of an HTTP
// get_payment's CPU. Here a close with no server-to-client request waiting aborts what is left with
// one "Connection closed" SdkError made once per process; any other close is the SDK's own.
// This replaces a private SDK method: test/server/quiet-close.test.ts pins the SDK's own version of
// it, so an SDK update that changes what a close does fails there before it can be skipped here.
import { Protocol, SdkError, SdkErrorCode } from "@modelcontextprotocol/server";

interface ProtocolState {
  _responseHandlers: Map<unknown, unknown>;
  _progressHandlers: Map<unknown, unknown>;
  _pendingDebouncedNotifications: Set<unknown>;
  _timeoutInfo: Map<unknown, unknown>;
  _requestHandlerAbortControllers: Map<unknown, AbortController>;
  _transport: unknown;
  onclose?: () => void;
}

const proto = Protocol.prototype as unknown as { _onclose(this: ProtocolState): void };

/** The SDK's own close, kept for a close with something waiting (and for the pinning test). */
export const sdkOnclose = proto._onclose;

/** The reason every quiet close aborts its request handlers with. */
export const CONNECTION_CLOSED = new SdkError(SdkErrorCode.ConnectionClosed, "Connection closed");

proto._onclose = function (this: ProtocolState) {
  const quiet =
    this._responseHandlers instanceof Map &&
    this._responseHandlers.size === 0 &&
    this._timeoutInfo instanceof Map &&
    this._timeoutInfo.size === 0 &&
    this._requestHandlerAbortControllers instanceof Map;
  if (!quiet) return sdkOnclose.call(this);
  // sdkOnclose with no response handler to reject and no timer to clear.
  const controllers = this._requestHandlerAbortControllers;
  this._requestHandlerAbortControllers = new Map();
  this._progressHandlers.clear();
  this._pendingDebouncedNotifications.clear();
  this._transport = undefined;
  try {
    this.onclose?.();
  } finally {
    for (const controller of controllers.values()) controller.abort(CONNECTION_CLOSED);
  }
};
