// --help: usage and every setting, generated from the config table so it cannot drift.
import { formatSettingsHelp } from "../config/index.js";
import { VERSION } from "../version.js";

export function helpText(): string {
  return `spacepay-mcp ${VERSION}: MCP server for the SpacePay crypto-payments API

Usage:
  spacepay-mcp [--http] [--port N] [--host H] [--oauth-issuer URL --oauth-audience URL] [--read-only] ...
      Serve MCP over stdio (or Streamable HTTP at /mcp with --http; over HTTP, money-moving tools are
      offered only with SPACEPAY_MCP_HTTP_TOKEN, which every request must then send as a bearer token,
      or with OAuth 2.1: SPACEPAY_OAUTH_ISSUER and SPACEPAY_OAUTH_AUDIENCE, each request's access token
      deciding who calls and with which scopes).
      With no SPACEPAY_SECRET_KEY and no SPACEPAY_API_URL it runs in demo mode against a built-in
      simulator: no keys, no real money.
  spacepay-mcp simulator [--port N] [--seed N]
      Run the SpacePay simulator alone, for your own agents and CI.
  spacepay-mcp demo
      A scripted walkthrough of what an agent does with this server, against the simulator.
  spacepay-mcp audit verify [--state-dir DIR] [--expect-head SEQ:HASH]
      Check the audit trail (the state directory's audit.jsonl, or SPACEPAY_DATABASE_URL's table): its
      hash chain, that every withdrawal ledger entry's audit entries are in it, and that a head
      printed earlier is still a prefix. Prints the head SEQ:HASH; exit 1 naming what is broken or
      missing. Needs no merchant key.
  spacepay-mcp db migrate [--app-role ROLE]
      Migrate the PostgreSQL schema with the owner's SPACEPAY_DATABASE_URL, and grant ROLE what
      serving needs (INSERT and SELECT only on audit_log).
  spacepay-mcp approvers add NAME [--subject SUB] [--port N] | list | remove NAME
      Who may approve withdrawals with SPACEPAY_APPROVAL=passkey. add prints a one-time enrollment
      link (15 minutes) on stdout; with SQLite it serves the page on http://localhost itself and exits
      0 once a passkey is registered (1 when the link expires); with SPACEPAY_DATABASE_URL the running
      instances serve it at SPACEPAY_PUBLIC_URL. --subject links the approver to an OAuth subject,
      whose own withdrawals they then cannot approve.
  spacepay-mcp --help | --version

Settings (flag, environment variable; flags win; secrets only from the environment):
${formatSettingsHelp()}
`;
}
