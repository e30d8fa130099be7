// The errors of the Toxiproxy-compatible API: Toxiproxy's status codes and its message stems
// ("proxy not found", "toxic already exists", …) so a client library that checks either keeps
// working, followed by the engine's own sentence (what was wrong and what to do).
import { errorCode } from '../../core/errors';
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

/** The proxy engine's error codes: Toxiproxy's status and message stem for each. */
const BY_CODE: Readonly<Record<string, { status: number; stem: string }>> = {
  INVALID_PROXY: { status: 400, stem: 'bad request body' },
  INVALID_TOXIC: { status: 400, stem: 'bad request body' },
  PROXY_NOT_FOUND: { status: 404, stem: 'proxy not found' },
  TOXIC_NOT_FOUND: { status: 404, stem: 'toxic not found' },
  PROXY_EXISTS: { status: 409, stem: 'proxy already exists' },
  TOXIC_EXISTS: { status: 409, stem: 'toxic already exists' },
};

/**
 * Any error as the API answers it: the engine's coded errors with Toxiproxy's status, anything else
 * (a port in use, an address that cannot be bound) as 500, which is what Toxiproxy answers for those.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const known = BY_CODE[errorCode(err) ?? ''];
  const message = errorMessage(err);
  return known ? new ApiError(known.status, `${known.stem}: ${message}`) : new ApiError(500, message);
}

/** The JSON body Toxiproxy sends with an error. */
export function errorBody(error: ApiError): { error: string; status: number } {
  return { error: error.message, status: error.status };
}
