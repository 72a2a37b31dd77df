// A socket that cannot listen, as one line naming the flag to change: a port in use, one that needs
// privileges, a host that does not resolve or is not this machine's. Shared by the server's --http
// and `simulator --port`; anything else is not a listen problem and is left to the caller.

export interface ListenNames {
  /** How the port is named to the user, e.g. "--port (SPACEPAY_MCP_PORT)". */
  port: string;
  host: string;
}

export function listenProblem(
  err: unknown,
  at: { host: string; port: number },
  names: ListenNames,
): string | null {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case "EADDRINUSE":
      return `${names.port}: port ${at.port} on ${at.host} is already in use. Choose another port, or 0 for a free one.`;
    case "EACCES":
    case "EPERM":
      return `${names.port}: not permitted to listen on port ${at.port} on ${at.host} (ports below 1024 need privileges). Choose a port from 1024 up.`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
      return `${names.host}: "${at.host}" does not resolve to an address. Give a host name or IP address of this machine.`;
    case "EADDRNOTAVAIL":
      return `${names.host}: "${at.host}" is not an address of this machine. Give one of its addresses, or 127.0.0.1.`;
    default:
      return null;
  }
}
