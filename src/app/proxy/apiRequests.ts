// Reads the JSON bodies of the Toxiproxy-compatible API into TCP Lab's definitions, with Toxiproxy's
// defaults (a toxic is `downstream` with toxicity 1 and is named `<type>_<stream>`; a new proxy is
// enabled) and one sentence per bad field. Attributes go through the shared toxic validation, so a
// bad latency reads the same from the API, a preset and the panel.
import { isRecord, describeValue } from '../../shared/describeValue';
import { parseHostPort } from '../../shared/hostPort';
import { TOXIC_STREAMS, TOXIC_TYPES, type ToxicDefinition, type ToxicStream, type ToxicType } from '../../shared/toxics';
import { toxicProblem } from './toxicValidation';
import { ApiError, badRequest, missingField } from './apiError';

/** What POST /proxies and each entry of POST /populate ask for. */
export interface ProxyRequest {
  name: string;
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** What POST /proxies/{name} may change: each field left out keeps its value. */
export type ProxyChanges = Partial<Omit<ProxyRequest, 'name'>>;

/** Toxiproxy listens on a free port of every interface when `listen` is left out; TCP Lab stays on loopback. */
export const DEFAULT_PROXY_LISTEN = '127.0.0.1:0';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: ApiError): Parsed<T> => ({ ok: false, error });

function addressProblem(field: 'listen' | 'upstream', value: unknown, where: string): ApiError | undefined {
  if (typeof value !== 'string') return badRequest(`"${field}"${where} must be a host:port string such as 127.0.0.1:${field === 'listen' ? '0' : '6379'}, but is ${describeValue(value)}.`);
  const parsed = parseHostPort(value, { allowZeroPort: field === 'listen' });
  return parsed.ok ? undefined : badRequest(`"${field}"${where} ${JSON.stringify(value)} is not usable: ${lowerFirst(parsed.message)}`);
}

function nameProblem(name: unknown, where: string): ApiError | undefined {
  if (typeof name !== 'string' || name === '') return missingField('name', where);
  // The name is a path segment of every later request.
  if (name.includes('/')) return badRequest(`"name"${where} ${JSON.stringify(name)} contains "/", which cannot appear in /proxies/{name}; choose a name without it.`);
  return undefined;
}

/** A proxy to create; `where` names the entry of a populate list (" at proxy 2"). */
export function parseProxyRequest(body: unknown, where = ''): Parsed<ProxyRequest> {
  if (!isRecord(body)) return fail(badRequest(`the proxy${where} must be a JSON object with name, listen and upstream, but is ${describeValue(body)}.`));
  const named = nameProblem(body.name, where);
  if (named) return fail(named);
  if (body.upstream === undefined || body.upstream === '') return fail(missingField('upstream', where));
  const listen = body.listen === undefined || body.listen === '' ? DEFAULT_PROXY_LISTEN : body.listen;
  const problem = addressProblem('listen', listen, where) ?? addressProblem('upstream', body.upstream, where);
  if (problem) return fail(problem);
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean') return fail(badRequest(`"enabled"${where} must be true or false, but is ${describeValue(body.enabled)}.`));
  return ok({ name: body.name as string, listen: listen as string, upstream: body.upstream as string, enabled: body.enabled !== false });
}

/** The fields of POST /proxies/{name}; unknown fields are ignored, as Toxiproxy does. */
export function parseProxyChanges(body: unknown): Parsed<ProxyChanges> {
  if (!isRecord(body)) return fail(badRequest(`the update must be a JSON object with listen, upstream or enabled, but is ${describeValue(body)}.`));
  const changes: ProxyChanges = {};
  for (const field of ['listen', 'upstream'] as const) {
    if (body[field] === undefined) continue;
    const problem = addressProblem(field, body[field], '');
    if (problem) return fail(problem);
    changes[field] = body[field] as string;
  }
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') return fail(badRequest(`"enabled" must be true or false, but is ${describeValue(body.enabled)}.`));
    changes.enabled = body.enabled;
  }
  return ok(changes);
}

/** The body of POST /populate: a list of proxies, checked whole before anything changes. */
export function parsePopulateRequest(body: unknown): Parsed<ProxyRequest[]> {
  if (!Array.isArray(body)) return fail(badRequest(`POST /populate takes a JSON list of proxies, but got ${describeValue(body)}.`));
  const proxies: ProxyRequest[] = [];
  const names = new Set<string>();
  for (const [i, entry] of body.entries()) {
    const parsed = parseProxyRequest(entry, ` at proxy ${i + 1}`);
    if (!parsed.ok) return parsed;
    if (names.has(parsed.value.name)) return fail(badRequest(`proxy ${i + 1} is named ${JSON.stringify(parsed.value.name)} like an earlier one in the list; give each proxy its own name.`));
    names.add(parsed.value.name);
    proxies.push(parsed.value);
  }
  return ok(proxies);
}

/**
 * A new toxic from POST /proxies/{proxy}/toxics, with Toxiproxy's defaults filled in. The caller
 * checks the name against the proxy's toxics (409 when taken).
 */
export function parseToxicRequest(body: unknown): Parsed<ToxicDefinition> {
  if (!isRecord(body)) return fail(badRequest(`the toxic must be a JSON object with type and attributes, but is ${describeValue(body)}.`));
  const stream = body.stream === undefined || body.stream === '' ? 'downstream' : body.stream;
  // Stream and type errors keep Toxiproxy's own stems, without its "bad request body" prefix.
  if (typeof stream !== 'string' || !(TOXIC_STREAMS as readonly string[]).includes(stream)) {
    return fail(new ApiError(400, `stream was invalid, can be either upstream or downstream: got ${describeValue(body.stream)}; use "upstream" (client to server) or "downstream" (server to client).`));
  }
  if (typeof body.type !== 'string' || !(TOXIC_TYPES as readonly string[]).includes(body.type)) {
    return fail(new ApiError(400, `invalid toxic type: ${describeValue(body.type, 'no "type"')} is not one of ${TOXIC_TYPES.join(', ')}; set "type" to one of them.`));
  }
  const type = body.type as ToxicType;
  const name = body.name === undefined || body.name === '' ? `${type}_${stream}` : body.name;
  if (typeof name !== 'string') return fail(badRequest(`the toxic's "name" must be a string, but is ${describeValue(name)}.`));
  if (name.includes('/')) return fail(badRequest(`the toxic's "name" ${JSON.stringify(name)} contains "/", which cannot appear in /toxics/{name}; choose a name without it.`));
  const toxic = { ...body, name, type, stream: stream as ToxicStream, toxicity: body.toxicity ?? 1, attributes: body.attributes ?? {} };
  const problem = toxicProblem(toxic);
  return problem ? fail(badRequest(problem.message)) : ok(toxic as ToxicDefinition);
}

/**
 * POST /proxies/{proxy}/toxics/{toxic}: the given attributes replace the existing ones one by one, and
 * toxicity, seed and `when` may change; type, stream and name stay (as in Toxiproxy).
 */
export function parseToxicUpdate(existing: ToxicDefinition, body: unknown): Parsed<ToxicDefinition> {
  if (!isRecord(body)) return fail(badRequest(`the update must be a JSON object with attributes or toxicity, but is ${describeValue(body)}.`));
  if (body.attributes !== undefined && !isRecord(body.attributes)) return fail(badRequest(`"attributes" must be an object, but is ${describeValue(body.attributes)}.`));
  const updated: Record<string, unknown> = {
    ...existing,
    attributes: { ...existing.attributes, ...(body.attributes ?? {}) },
    toxicity: body.toxicity ?? existing.toxicity,
  };
  for (const extra of ['seed', 'when'] as const) {
    if (body[extra] === null) delete updated[extra];
    else if (body[extra] !== undefined) updated[extra] = body[extra];
  }
  const problem = toxicProblem(updated);
  return problem ? fail(badRequest(problem.message)) : ok(updated as ToxicDefinition);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
