// The errors of the Toxiproxy-compatible API: Toxiproxy's status codes and its message stems
// ("proxy not found", "toxic already exists", …) so a client library that checks either keeps
// working, followed by the engine's own sentence (what was wrong and what to do).
import { errorCode } from '../../core/errors';
import { proxyErrorStatus } from '../../core/proxy/proxyHub';
import { errorMessage } from '../../shared/errorMessage';

/** An error the API answers with `{"error": message, "status": status}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Toxiproxy's message stem for each of the proxy engine's error codes (the engine gives the status). */
const STEMS: Readonly<Record<string, string>> = {
  INVALID_PROXY: 'bad request body',
  INVALID_TOXIC: 'bad request body',
  PROXY_NOT_FOUND: 'proxy not found',
  TOXIC_NOT_FOUND: 'toxic not found',
  PROXY_EXISTS: 'proxy already exists',
  TOXIC_EXISTS: 'toxic already exists',
};

/**
 * Any error as the API answers it: the engine's coded errors with Toxiproxy's status and stem,
 * anything else (a port in use, an address that cannot be bound) as 500, as Toxiproxy answers those.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const stem = STEMS[errorCode(err) ?? ''];
  const message = errorMessage(err);
  return new ApiError(proxyErrorStatus(err), stem ? `${stem}: ${message}` : message);
}

/** The JSON body Toxiproxy sends with an error. */
export function errorBody(error: ApiError): { error: string; status: number } {
  return { error: error.message, status: error.status };
}
