// Every failure the engine reports becomes a TcpError whose message is ONE sentence that names the
// input that failed and says what to do next, so the host can show it verbatim without a stack trace.
import { formatHostPort, ipVersion, isHostName, isPortNumber, unbracketHost } from '../shared/hostPort';

export { formatHostPort };

export class TcpError extends Error {
  /** A node errno (`EADDRINUSE`, …) or one of our own codes (`INVALID_PORT`, `TIMEOUT`, …). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TcpError';
    this.code = code;
  }
}

export type SocketOperation = 'listen' | 'connect' | 'send';

export interface SocketErrorContext {
  op: SocketOperation;
  host: string;
  port: number;
  /** The connect timeout that expired, so the sentence can say how long we waited. */
  timeoutMs?: number;
  /** What sets that timeout (a setting's name), so the sentence says what to raise. */
  timeoutHint?: string;
}

/** Pull the errno out of whatever node threw; Happy Eyeballs may wrap several in an AggregateError. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner)) {
    for (const e of inner) {
      const innerCode = errorCode(e);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

function errorDetail(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return String(err);
}

const OPERATION_PHRASE: Record<SocketOperation, string> = {
  listen: 'listen on',
  connect: 'connect to',
  send: 'send to',
};

/** Turn a node socket error into a TcpError with one actionable sentence about the given endpoint. */
export function describeSocketError(err: unknown, ctx: SocketErrorContext): TcpError {
  if (err instanceof TcpError) return err;
  const code = errorCode(err) ?? 'UNKNOWN';
  const where = formatHostPort(ctx.host, ctx.port);
  const make = (message: string): TcpError => new TcpError(code, message, { cause: err });

  switch (code) {
    case 'EADDRINUSE':
      return make(
        `Port ${ctx.port} on ${ctx.host} is already in use; stop the program using it or choose another port (0 picks a free one).`,
      );
    case 'EACCES':
    case 'EPERM':
      return ctx.op === 'listen'
        ? make(
            `Permission denied to listen on port ${ctx.port} on ${ctx.host}; choose a port above 1023 or run with the privileges that port needs.`,
          )
        : make(`Permission denied to ${OPERATION_PHRASE[ctx.op]} ${where}; check firewall rules and the port, then try again.`);
    case 'EADDRNOTAVAIL':
      return ctx.op === 'listen'
        ? make(
            `Address ${ctx.host} does not belong to this machine, so port ${ctx.port} cannot be opened on it; choose one of this machine's addresses such as 127.0.0.1, ::1 or 0.0.0.0.`,
          )
        : make(`Address ${where} cannot be reached from this machine; check the host and port and try again.`);
    case 'ECONNREFUSED':
      return make(`Connection to ${where} was refused; check that a server is listening on that host and port, then try again.`);
    case 'ENOTFOUND':
      return make(`Host "${ctx.host}" could not be found; check the spelling or enter an IP address such as 127.0.0.1.`);
    case 'EAI_AGAIN':
      return make(
        `Host "${ctx.host}" could not be looked up right now; check your network and DNS settings, or enter an IP address such as 127.0.0.1.`,
      );
    case 'ETIMEDOUT':
    case 'TIMEOUT': {
      const waited = ctx.timeoutMs !== undefined ? ` after ${ctx.timeoutMs} ms` : '';
      return ctx.op === 'connect'
        ? make(
            `Connecting to ${where} timed out${waited}; check that the server is running and that no firewall drops the packets, or raise ${ctx.timeoutHint ?? 'the timeout'}.`,
          )
        : make(`The connection to ${where} timed out${waited}; check that the peer is still reachable, then reconnect.`);
    }
    case 'ECONNRESET':
      return make(`Connection to ${where} was reset by the peer; reconnect if you want to continue.`);
    case 'EPIPE':
      return make(`Cannot ${OPERATION_PHRASE[ctx.op]} ${where} because the peer has closed the connection; reconnect before sending again.`);
    case 'EHOSTUNREACH':
      return make(`Host ${ctx.host} is unreachable from this machine; check the address, the network cable or Wi-Fi, and the routes.`);
    case 'ENETUNREACH':
      return make(`The network of ${ctx.host} is unreachable from this machine; check the address and your network connection.`);
    case 'ECONNABORTED':
      return make(`Connection to ${where} was aborted; reconnect if you want to continue.`);
    default:
      return make(
        `Could not ${OPERATION_PHRASE[ctx.op]} ${where} (${code}: ${errorDetail(err)}); check the host and port and try again.`,
      );
  }
}

const PORT_PATTERN = /^\d+$/;

/**
 * Accepts an integer 0..65535, or a string of digits as typed into an input box.
 * `purpose` only tunes the hint: port 0 means "any free port" when listening.
 */
export function validatePort(value: unknown, purpose: 'listen' | 'connect' = 'listen'): number {
  const range = purpose === 'connect' ? '1 to 65535' : '0 to 65535';
  const hint = purpose === 'connect' ? `enter the server's port, a whole number from ${range}` : `enter a whole number from ${range} (0 picks a free port)`;
  let port: number;
  if (typeof value === 'number') {
    port = value;
  } else if (typeof value === 'string' && PORT_PATTERN.test(value.trim())) {
    port = Number(value.trim());
  } else {
    const shown = typeof value === 'string' ? `"${value}"` : String(value);
    throw new TcpError('INVALID_PORT', `Port ${shown} is not a number; ${hint}.`);
  }
  if (!Number.isInteger(port)) {
    throw new TcpError('INVALID_PORT', `Port ${String(value)} is not a whole number; ${hint}.`);
  }
  if (!isPortNumber(port, { allowZeroPort: purpose !== 'connect' })) {
    throw new TcpError('INVALID_PORT', `Port ${String(value).trim()} is out of range; ${hint}.`);
  }
  return port;
}

/** Accepts an IPv4/IPv6 literal (brackets around IPv6 are removed) or a host name; returns it trimmed. */
export function validateHost(value: unknown): string {
  const hint = 'enter an IP address such as 127.0.0.1 or ::1, or a host name such as localhost, without a scheme or port';
  if (typeof value !== 'string' || value.trim() === '') {
    const shown = typeof value === 'string' ? 'An empty host' : `Host ${String(value)}`;
    throw new TcpError('INVALID_HOST', `${shown} is not valid; ${hint}.`);
  }
  const host = unbracketHost(value.trim());
  if (ipVersion(host) === 0 && !isHostName(host)) {
    throw new TcpError('INVALID_HOST', `Host "${value}" is not a valid host name or IP address; ${hint}.`);
  }
  return host;
}
