// The errors of the Toxiproxy-compatible API, with Toxiproxy's status codes and its message stems
// ("proxy not found", "toxic already exists", …), so a client library that checks either keeps
// working. Our sentence follows the stem after a colon: what was wrong and what to do.

/** An error the API answers with `{"error": message, "status": status}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const proxyNotFound = (name: string): ApiError => new ApiError(404, `proxy not found: there is no proxy named ${JSON.stringify(name)}; GET /proxies lists them.`);
export const toxicNotFound = (proxy: string, toxic: string): ApiError =>
  new ApiError(404, `toxic not found: proxy ${JSON.stringify(proxy)} has no toxic named ${JSON.stringify(toxic)}; GET /proxies/${proxy}/toxics lists them.`);
export const proxyAlreadyExists = (name: string): ApiError =>
  new ApiError(409, `proxy already exists: a proxy named ${JSON.stringify(name)} is already defined; pick another name, or POST /proxies/${name} to change it.`);
export const toxicAlreadyExists = (proxy: string, toxic: string): ApiError =>
  new ApiError(409, `toxic already exists: proxy ${JSON.stringify(proxy)} already has a toxic named ${JSON.stringify(toxic)}; give the new one another "name", or update that one.`);
/** A bad field: Toxiproxy words these "bad request body: …" or "missing required field: …". */
export const badRequest = (sentence: string): ApiError => new ApiError(400, `bad request body: ${sentence}`);
export const missingField = (field: string, where = ''): ApiError => new ApiError(400, `missing required field: ${field}${where}; add it to the request body.`);

/** The JSON body Toxiproxy sends with an error. */
export function errorBody(error: ApiError): { error: string; status: number } {
  return { error: error.message, status: error.status };
}
