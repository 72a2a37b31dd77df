// OAuth 2.1 resource server for Streamable HTTP (the MCP authorization spec): finds the issuer's keys
// through its metadata (RFC 8414, OpenID discovery as fallback), verifies bearer access tokens with
// jose (signature, iss, aud per RFC 8707, exp, nbf, asymmetric algorithms only) and then the claims
// jose leaves open (a non-empty sub, iat not in the future, a bounded lifetime), and checks a
// request's scope before it reaches the MCP server. Answers are a Principal or a Rejection the HTTP
// layer writes as is; the token itself never appears in either, nor in the log.
import { createRemoteJWKSet, errors, jwtVerify, type JWSAlgorithm, type JWTPayload } from "jose";
import type { Principal } from "../domain.js";
import { LOOPBACK_HOSTS } from "../config/index.js";
import { log } from "../log.js";
import { metadataPaths, metadataUrl, protectedResourceMetadata } from "./protected-resource.js";
import type { ProtectedResourceMetadata } from "./protected-resource.js";

/** What the HTTP layer answers instead of serving the request. */
export interface Rejection {
  status: number;
  headers: Record<string, string>;
  message: string;
}

export interface OAuthOptions {
  issuer: string;
  audience: string;
  /** Every scope the server knows, for scopes_supported. */
  scopes: readonly string[];
  /** The scope a request needs (by method, and for tools/call by tool); null for none. */
  scopeOf(method: string, params: unknown): string | null;
  /** The longest lifetime (exp − iat) a token may have, in seconds (SPACEPAY_OAUTH_MAX_TOKEN_LIFETIME_SECONDS). */
  maxTokenLifetimeSeconds: number;
  /** How long issuer metadata is trusted before it is fetched again (default 1 hour). */
  metadataTtlMs?: number;
  /** The first wait after a failed metadata fetch, doubling to a minute (default 1 s). */
  retryBaseMs?: number;
  /** The least time between two JWKS fetches for an unknown key id (jose's cooldown; default 30 s). */
  jwksCooldownMs?: number;
  /** Per fetch of metadata or keys (default 5 s). */
  fetchTimeoutMs?: number;
}

export interface OAuthGate {
  /** The RFC 9728 document, and the paths it is served at. */
  metadata: ProtectedResourceMetadata;
  metadataPaths: readonly string[];
  /** Checks the Authorization header. */
  authenticate(authorization: string | undefined): Promise<Principal | Rejection>;
  /** Checks a parsed JSON-RPC body (one message or a batch) against the caller's scopes. */
  authorize(principal: Principal, body: unknown): Rejection | null;
  /** Fetches the issuer metadata ahead of the first request; failures are logged and retried later. */
  warmUp(): Promise<void>;
  /** Whether the issuer's signing keys are loaded (fetching them when not, within the retry backoff). */
  keysLoaded(): Promise<boolean>;
}

// Asymmetric only: with HS256 the "key" would be a secret shared with the issuer, and `none` is no
// signature at all.
const ALGORITHMS: JWSAlgorithm[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
/** Seconds of clock difference tolerated on exp and nbf between the issuer and this machine. */
const CLOCK_TOLERANCE_S = 30;
const MAX_RETRY_MS = 60_000;

interface IssuerMetadata {
  jwksUri: string;
}

/** RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OpenID appends it. */
function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, "");
  return [
    ...new Set([
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${url.origin}/.well-known/openid-configuration${path}`,
      `${url.origin}${path}/.well-known/openid-configuration`,
    ]),
  ];
}

function secureUrl(value: unknown): string | null {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))
      ? value
      : null;
  } catch {
    return null;
  }
}

async function fetchIssuerMetadata(issuer: string, timeoutMs: number): Promise<IssuerMetadata> {
  const problems: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    let doc: Record<string, unknown>;
    try {
      const res = await fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        problems.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      doc = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      problems.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    // RFC 8414 §3.3: a document for another issuer must not be used (mix-up attacks).
    if (doc.issuer !== issuer) {
      problems.push(`${url}: names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
      continue;
    }
    const jwksUri = secureUrl(doc.jwks_uri);
    if (!jwksUri) {
      problems.push(`${url}: no https jwks_uri`);
      continue;
    }
    return { jwksUri };
  }
  throw new Error(`no usable authorization server metadata for ${issuer} (${problems.join("; ")})`);
}

/** Why a token was refused, in words for error_description (fixed texts: nothing from the token). */
function tokenProblem(err: unknown): string | null {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return "the token is not valid yet";
    if (err.claim === "iss") return "the token is from another issuer";
    if (err.claim === "aud") return "the token is for another resource (aud)";
    return `the token's ${err.claim} claim is missing or invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's signing algorithm is not accepted";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return "the token was signed with a key the issuer does not publish";
  }
  if (
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JOSENotSupported
  ) {
    return "the token is not a valid signed JWT";
  }
  return null;
}

/**
 * What jose leaves to us, in words for error_description: who the caller is (`sub` names them in the
 * audit log and owns their confirmations, so it cannot be blank), when the token was issued (jose
 * checks `iat` in the future only together with a maximum age), and how long it lives: a token minted
 * for years stays a credential for years once leaked. Without `iat`, the lifetime counts from now.
 */
function claimProblem(payload: JWTPayload, maxLifetimeS: number, nowS: number): string | null {
  if (typeof payload.sub !== "string" || payload.sub.trim() === "") return "the token's sub claim is empty";
  const iat = payload.iat;
  if (iat !== undefined && iat > nowS + CLOCK_TOLERANCE_S) return "the token's iat is in the future";
  // Counted from our clock (no iat), the issuer's may be a little behind.
  const lifetime = iat === undefined ? payload.exp! - nowS - CLOCK_TOLERANCE_S : payload.exp! - iat;
  if (lifetime > maxLifetimeS) {
    return `the token lives longer than ${maxLifetimeS} seconds (exp - iat); ask the issuer for a shorter-lived one`;
  }
  return null;
}

function scopesOf(payload: JWTPayload): string[] {
  // `scope` is the RFC 9068 / RFC 8693 form; some providers send `scp` (a list or a string).
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === "string") return raw.split(" ").filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  return [];
}

/** The scope one JSON-RPC message needs, when it needs one (a response or a notification needs none). */
function neededScope(message: unknown, opts: OAuthOptions): string | null {
  if (message === null || typeof message !== "object") return null;
  const { method, params } = message as { method?: unknown; params?: unknown };
  return typeof method === "string" ? opts.scopeOf(method, params) : null;
}

export function createOAuthGate(opts: OAuthOptions): OAuthGate {
  const ttlMs = opts.metadataTtlMs ?? 3_600_000;
  const retryBaseMs = opts.retryBaseMs ?? 1_000;
  const timeoutMs = opts.fetchTimeoutMs ?? 5_000;
  const resourceMetadata = metadataUrl(opts.audience);
  const challenge = (params: Record<string, string> = {}) => ({
    "www-authenticate": `Bearer ${Object.entries({ ...params, resource_metadata: resourceMetadata })
      .map(([k, v]) => `${k}="${v.replace(/["\\]/g, "")}"`)
      .join(", ")}`,
  });
  const invalid = (description: string): Rejection => ({
    status: 401,
    headers: challenge({ error: "invalid_token", error_description: description }),
    message: `Unauthorized: ${description}`,
  });
  const unavailable = (what: string): Rejection => ({
    status: 503,
    headers: { "retry-after": "5" },
    message: `Service unavailable: ${what}; try again shortly`,
  });

  // Issuer metadata: cached for ttlMs; a failed fetch is retried with backoff on later requests
  // (never at startup only), and stale metadata keeps serving while a refresh fails.
  let current: (IssuerMetadata & { fetchedAt: number; keys: ReturnType<typeof createRemoteJWKSet> }) | null =
    null;
  let pending: Promise<void> | null = null;
  let failures = 0;
  let retryAt = 0;
  let lastError: Error | null = null;
  const refresh = () =>
    (pending ??= fetchIssuerMetadata(opts.issuer, timeoutMs)
      .then(
        (meta) => {
          // A new jwks_uri gets a new key set; the same one keeps jose's key cache.
          const keys =
            current?.jwksUri === meta.jwksUri
              ? current.keys
              : createRemoteJWKSet(new URL(meta.jwksUri), {
                  timeoutDuration: timeoutMs,
                  cooldownDuration: opts.jwksCooldownMs ?? 30_000,
                });
          current = { ...meta, keys, fetchedAt: Date.now() };
          failures = 0;
          lastError = null;
        },
        (err: Error) => {
          failures += 1;
          retryAt = Date.now() + Math.min(retryBaseMs * 2 ** (failures - 1), MAX_RETRY_MS);
          lastError = err;
          log("warn", `OAuth: ${err.message}; retrying in ${retryAt - Date.now()} ms`);
        },
      )
      .finally(() => {
        pending = null;
      }));
  const issuerKeys = async () => {
    const fresh = current && Date.now() - current.fetchedAt < ttlMs;
    if (!fresh) {
      if (Date.now() >= retryAt) await refresh();
      else if (pending) await pending;
    }
    return current?.keys ?? null;
  };

  return {
    metadata: protectedResourceMetadata(opts.issuer, opts.audience, opts.scopes),
    metadataPaths: metadataPaths(opts.audience),
    async warmUp() {
      await issuerKeys();
    },
    async keysLoaded() {
      const keys = await issuerKeys();
      if (!keys) return false;
      // jose fetches the key set on the first token; readiness asks for it now.
      if (!keys.jwks()) await keys.reload().catch(() => {});
      return Boolean(keys.jwks());
    },
    async authenticate(authorization) {
      const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
      if (!match) {
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        return {
          status: 401,
          headers: challenge(),
          message:
            "Unauthorized: send an OAuth access token (Authorization: Bearer <token>); the WWW-Authenticate header says where to get one",
        };
      }
      const keys = await issuerKeys();
      if (!keys) {
        return unavailable(
          `the authorization server's metadata could not be read (${lastError?.message ?? "unknown"})`,
        );
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(match[1]!, keys, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ["exp", "sub"],
        }));
      } catch (err) {
        const problem = tokenProblem(err);
        if (problem) return invalid(problem);
        // Not the token's fault: the key set could not be fetched.
        log("warn", `OAuth: could not read the issuer's keys: ${(err as Error).message}`);
        return unavailable("the authorization server's keys could not be read");
      }
      const problem = claimProblem(payload, opts.maxTokenLifetimeSeconds, Math.floor(Date.now() / 1000));
      if (problem) return invalid(problem);
      const clientId = payload.client_id ?? payload.azp;
      return {
        subject: payload.sub!,
        scopes: scopesOf(payload),
        ...(typeof clientId === "string" && { clientId }),
      };
    },
    authorize(principal, body) {
      for (const message of Array.isArray(body) ? body : [body]) {
        const scope = neededScope(message, opts);
        if (scope && !principal.scopes.includes(scope)) {
          return {
            status: 403,
            headers: challenge({
              error: "insufficient_scope",
              scope,
              error_description: `this call needs the ${scope} scope`,
            }),
            message: `Forbidden: this call needs the ${scope} scope, which the access token does not carry`,
          };
        }
      }
      return null;
    },
  };
}
