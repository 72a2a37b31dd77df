// RFC 9728 protected-resource metadata: how an MCP client finds the authorization server for this
// server. The document is served at the root well-known path and at the path-suffixed form
// (/.well-known/oauth-protected-resource/mcp for a resource ending in /mcp).
export const PRM_PATH = "/.well-known/oauth-protected-resource";

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ["header"];
  resource_name: string;
}

export function protectedResourceMetadata(
  issuer: string,
  audience: string,
  scopes: readonly string[],
): ProtectedResourceMetadata {
  return {
    resource: audience,
    authorization_servers: [issuer],
    scopes_supported: [...scopes],
    // Tokens in a query string or form body end up in logs; only the Authorization header is read.
    bearer_methods_supported: ["header"],
    resource_name: "SpacePay MCP",
  };
}

/** Where clients are told to fetch the metadata (RFC 9728 §3.1: the well-known path goes between host and path). */
export function metadataUrl(audience: string): string {
  const url = new URL(audience);
  const suffix = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return `${url.origin}${PRM_PATH}${suffix}`;
}

/** The request paths answered with the metadata: the root form, and the form the audience's path gives. */
export function metadataPaths(audience: string): string[] {
  return [...new Set([PRM_PATH, new URL(metadataUrl(audience)).pathname, `${PRM_PATH}/mcp`])];
}
