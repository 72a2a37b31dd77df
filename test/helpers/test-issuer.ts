// An OAuth authorization server for tests, on a loopback port the test owns: it publishes RFC 8414
// (or only OpenID) metadata and a JWKS, signs access tokens with jose, rotates its key, and can be
// told to fail its metadata for a while. It counts what it served, so tests can see refetches.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface TestIssuer {
  /** The issuer identifier, exactly as tokens carry it in iss. */
  url: string;
  /** Signs an access token with the current key; `claims` override the defaults (sub, scope, aud, exp…). */
  token(claims: JWTPayload & { scope?: string }, opts?: SignOptions): Promise<string>;
  /** Replaces the published key with a new one under a new kid (the old key is withdrawn). */
  rotate(): Promise<void>;
  /** Answer the next `n` metadata requests with HTTP 500. */
  failMetadata(n: number): void;
  served: { metadata: number; jwks: number };
  close(): Promise<void>;
}

export interface SignOptions {
  /** Sign with a key the issuer never published, under the current kid (a forgery). */
  forge?: boolean;
  /** Sign with this key's own kid, e.g. a key withdrawn by rotate(). */
  key?: SigningKey;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface IssuerOptions {
  /** Which discovery document to serve: RFC 8414 (default) or only OpenID's. */
  discovery?: "oauth" | "openid";
  /** Defaults for tokens: the audience they name. */
  audience: string;
}

let kids = 0;
async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const kid = `key-${++kids}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

export async function startTestIssuer(opts: IssuerOptions): Promise<TestIssuer & { key: () => SigningKey }> {
  let key = await newKey();
  let failing = 0;
  const served = { metadata: 0, jwks: 0 };
  let url = "";
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const wanted =
      opts.discovery === "openid"
        ? "/.well-known/openid-configuration"
        : "/.well-known/oauth-authorization-server";
    if (path === wanted) {
      served.metadata += 1;
      if (failing > 0) {
        failing -= 1;
        return send(500, { error: "temporarily_unavailable" });
      }
      return send(200, {
        issuer: url,
        jwks_uri: `${url}/jwks`,
        authorization_endpoint: `${url}/authorize`,
        token_endpoint: `${url}/token`,
        response_types_supported: ["code"],
      });
    }
    if (path === "/jwks") {
      served.jwks += 1;
      return send(200, { keys: [key.publicJwk] });
    }
    send(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    served,
    key: () => key,
    async token(claims, sign = {}) {
      const now = Math.floor(Date.now() / 1000);
      const signer = sign.forge ? (await newKey()).privateKey : (sign.key ?? key).privateKey;
      const kid = sign.key?.kid ?? key.kid;
      return new SignJWT({ scope: "spacepay:read", ...claims })
        .setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" })
        .setIssuer(claims.iss ?? url)
        .setAudience(claims.aud ?? opts.audience)
        .setSubject(claims.sub ?? "user-a")
        .setIssuedAt(claims.iat ?? now)
        .setExpirationTime(claims.exp ?? now + 300)
        .sign(signer);
    },
    async rotate() {
      key = await newKey();
    },
    failMetadata(n) {
      failing = n;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
