// Mapping a non-2xx answer to its typed SpacePayError, whatever its body looks like: the documented
// error envelope, a bare object, HTML from a proxy, or nothing at all.
import type { Scrub } from "./auth.js";
import { errorClassForStatus, type SpacePayError } from "./errors.js";
import { excerpt, tryJson } from "./decode.js";
import { isRetryableStatus } from "./retry.js";
import { header, type ResponseHeaders } from "./transport.js";

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);

/** Maps a non-2xx response to the typed error, whatever its body looks like. */
export function errorFromResponse(
  status: number,
  headers: ResponseHeaders,
  text: string,
  requestId: string | null,
  retryAfterMs: number | null,
  scrub: Scrub,
): SpacePayError {
  let type: string | null = null;
  let code: string | null = null;
  let param: string | null = null;
  let apiMessage: string | null = null;
  let shape: string;

  const parsed = text.trim() ? tryJson(text) : null;
  if (parsed === null) shape = "an empty body";
  else if (!parsed.ok) {
    const ct = header(headers, "content-type")?.split(";")[0]?.trim();
    shape = `a non-JSON body${ct ? ` (${ct})` : ""}`;
  } else {
    shape = "a JSON body without the documented error envelope";
    const v = parsed.value;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      // The documented envelope {"error": {type, message, code, param}}.
      const env = o.error && typeof o.error === "object" ? (o.error as Record<string, unknown>) : null;
      const src = env ?? o;
      type = str(src.type) ?? (env ? null : str(o.error));
      code = str(src.code);
      param = str(src.param);
      const m = src.message;
      apiMessage = Array.isArray(m) ? m.filter((x) => typeof x === "string").join("; ") || null : str(m);
    }
  }

  const clip = (s: string | null, n: number) =>
    s === null ? null : scrub(s.length > n ? s.slice(0, n) + "…" : s);
  const message =
    apiMessage !== null
      ? `SpacePay API error ${status}${code ? ` (${clip(code, 100)})` : ""}: ${clip(apiMessage, 500)}`
      : `SpacePay API error ${status} with ${shape}.`;
  const Cls = errorClassForStatus(status, code);
  return new Cls(message, {
    status,
    type: clip(type, 100),
    code: clip(code, 100),
    param: clip(param, 100),
    requestId,
    retryable: isRetryableStatus(status),
    ...(retryAfterMs !== null ? { retryAfterMs } : {}),
    body: excerpt(text, scrub),
  });
}
