// A Toxiproxy-compatible HTTP API (node:http) over TCP Lab's proxies, so existing test suites and
// Toxiproxy's client libraries drive TCP Lab unchanged: the same routes, JSON shapes, status codes and
// error bodies (`{"error": "...", "status": 404}`). It binds loopback unless the caller allows more,
// and, like Toxiproxy, refuses browsers, so a web page cannot reconfigure the proxies.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assessBindExposure } from '../exposurePolicy';
import { isRecord } from '../../shared/describeValue';
import { errorMessage } from '../../shared/errorMessage';
import { formatHostPort, parseHostPort } from '../../shared/hostPort';
import type { ProxyDefinition, ToxicDefinition } from '../../shared/toxics';
import { ApiError, errorBody, toApiError } from './apiError';

/** Toxiproxy's default API port. */
export const DEFAULT_API_PORT = 8474;
/** Request bodies are small JSON; a bigger one is refused before it is buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The proxies the API drives: the proxy engine's hub (src/core/proxy). It checks every definition
 * and throws TcpErrors whose code says which status Toxiproxy would answer (see apiError.ts).
 */
export interface ProxyApiBackend {
  list(): ProxyDefinition[];
  get(name: string): ProxyDefinition | undefined;
  create(definition: unknown): Promise<ProxyDefinition>;
  update(name: string, patch: unknown): Promise<ProxyDefinition>;
  remove(name: string): Promise<boolean>;
  /** Creates each proxy, or replaces the one of that name when it differs; checks the whole list first. */
  populate(list: unknown): Promise<ProxyDefinition[]>;
  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void>;
  toxics(proxy: string): ToxicDefinition[];
  getToxic(proxy: string, toxic: string): ToxicDefinition | undefined;
  addToxic(proxy: string, toxic: unknown): ToxicDefinition;
  updateToxic(proxy: string, toxic: string, patch: unknown): ToxicDefinition;
  removeToxic(proxy: string, toxic: string): void;
}

/** Toxiproxy listens on a free port of every interface when `listen` is left out; TCP Lab stays on loopback. */
export const DEFAULT_PROXY_LISTEN = '127.0.0.1:0';

export interface ProxyApiOptions {
  /** host:port, e.g. `127.0.0.1:8474`; port 0 picks a free one. */
  address: string;
  /** Binding an address other machines reach needs this (the caller asked the user, or a flag said so). */
  allowExposed?: boolean;
  /** How to allow an exposed address, ending the refusal (e.g. "or pass --allow-exposed"). */
  howToAllow?: string;
  /**
   * Asked before a proxy listens where other machines can reach it; returns a refusal sentence, or
   * undefined to go ahead. Without it such proxies are refused.
   */
  confirmProxyListen?: (host: string, port: number) => Promise<string | undefined>;
  /** Reported by GET /version. */
  version: string;
  /** One line per request that changed something, and per refused request. */
  onDidLog?: (line: string) => void;
}

/** Why an API address cannot be used, in one sentence, or undefined. */
export function apiAddressProblem(address: string, allowExposed: boolean, howToAllow = 'or allow exposure explicitly'): string | undefined {
  const parsed = parseHostPort(address, { allowZeroPort: true });
  if (!parsed.ok) return `The proxy API address ${JSON.stringify(address)} is not usable: ${parsed.message}`;
  const exposure = assessBindExposure(parsed.host, parsed.port);
  if (exposure.exposed && !allowExposed) return `The proxy API stays on this machine: ${exposure.sentence} Use 127.0.0.1:${DEFAULT_API_PORT}, ${howToAllow}.`;
  return undefined;
}

type Route =
  | { kind: 'proxies' }
  | { kind: 'populate' }
  | { kind: 'reset' }
  | { kind: 'version' }
  | { kind: 'proxy'; proxy: string }
  | { kind: 'toxics'; proxy: string }
  | { kind: 'toxic'; proxy: string; toxic: string };

const METHODS: Record<Route['kind'], readonly string[]> = {
  proxies: ['GET', 'POST'],
  populate: ['POST'],
  reset: ['POST'],
  version: ['GET'],
  proxy: ['GET', 'POST', 'PATCH', 'DELETE'],
  toxics: ['GET', 'POST'],
  toxic: ['GET', 'POST', 'PATCH', 'DELETE'],
};

function route(pathname: string): Route | undefined {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
  let segments: string[];
  try {
    segments = parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  const [first, proxy, sub, toxic, ...rest] = segments;
  if (rest.length > 0 || proxy === '' || toxic === '') return undefined;
  if (segments.length === 1) {
    if (first === 'proxies' || first === 'populate' || first === 'reset' || first === 'version') return { kind: first };
    return undefined;
  }
  if (first !== 'proxies') return undefined;
  if (sub === undefined) return { kind: 'proxy', proxy };
  if (sub !== 'toxics') return undefined;
  return toxic === undefined ? { kind: 'toxics', proxy } : { kind: 'toxic', proxy, toxic };
}

interface Reply {
  status: number;
  body?: unknown;
}

interface Request {
  target: Route;
  method: string;
  body: unknown;
}

/** The route, method and JSON body of a request, or the ApiError that answers it. */
async function prepare(req: http.IncomingMessage): Promise<Request> {
  // Toxiproxy's own guard: browsers could otherwise be tricked into driving a loopback API.
  if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) throw new ApiError(403, 'User agent not allowed: the proxy API does not answer browsers; use a Toxiproxy client library, curl or tcp-lab.');
  const url = new URL(req.url ?? '/', 'http://api');
  const target = route(url.pathname);
  if (!target) throw new ApiError(404, `not found: ${url.pathname} is not a route of the proxy API; use /proxies, /populate, /reset or /version.`);
  const method = req.method ?? 'GET';
  if (!METHODS[target.kind].includes(method)) throw new ApiError(405, `method not allowed: ${url.pathname} takes ${METHODS[target.kind].join(', ')}, not ${method}.`);
  const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
  return { target, method, body };
}

export class ProxyApiServer {
  private readonly server: http.Server;
  /** Requests run one at a time: Toxiproxy's collection is locked per change, and so is ours. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly backend: ProxyApiBackend,
    private readonly options: ProxyApiOptions,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // A client that opens a connection and sends nothing must not hold the API forever.
    this.server.requestTimeout = 15_000;
    this.server.headersTimeout = 10_000;
  }

  /** Binds the API; rejects with one sentence when the address is refused or in use. */
  static async start(backend: ProxyApiBackend, options: ProxyApiOptions): Promise<ProxyApiServer> {
    const problem = apiAddressProblem(options.address, options.allowExposed === true, options.howToAllow);
    if (problem) throw new Error(problem);
    const parsed = parseHostPort(options.address, { allowZeroPort: true });
    if (!parsed.ok) throw new Error(parsed.message);
    const api = new ProxyApiServer(backend, options);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'the port is in use (is Toxiproxy or another TCP Lab running?); stop it or choose another port' : errorMessage(err);
        reject(new Error(`The proxy API cannot listen on ${formatHostPort(parsed.host, parsed.port)}: ${why}.`));
      };
      api.server.once('error', onError);
      api.server.listen(parsed.port, parsed.host, () => {
        api.server.off('error', onError);
        resolve();
      });
    });
    return api;
  }

  /** Where the API listens, as host:port. */
  get address(): string {
    const info = this.server.address() as AddressInfo;
    return formatHostPort(info.address, info.port);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and closes every open API connection (idle keep-alive ones too). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      // The body is read first, so a slow client cannot hold up the requests queued behind it.
      const request = await prepare(req);
      reply = await this.serialised(() => this.dispatch(request));
    } catch (err) {
      const error = toApiError(err);
      if (error.status >= 400) this.options.onDidLog?.(`API ${req.method} ${req.url}: ${error.status} ${error.message}`);
      reply = { status: error.status, body: errorBody(error) };
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {});
    res.end(payload);
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async dispatch({ target, method, body }: Request): Promise<Reply> {
    const { backend } = this;

    switch (target.kind) {
      case 'version':
        return { status: 200, body: { version: this.options.version } };
      case 'proxies': {
        if (method === 'GET') return { status: 200, body: Object.fromEntries(backend.list().map((p) => [p.name, p])) };
        const request = withDefaultListen(body);
        await this.checkListen(request);
        const created = await backend.create(request);
        this.log(`created proxy ${created.name}: ${describeProxy(created)}`);
        return { status: 201, body: created };
      }
      case 'populate':
        return this.populate(body);
      case 'reset':
        await backend.reset();
        this.log('reset: every proxy enabled, every toxic removed');
        return { status: 204 };
      case 'proxy': {
        if (method === 'GET') return { status: 200, body: this.proxy(target.proxy) };
        if (method === 'DELETE') {
          if (!(await backend.remove(target.proxy))) throw this.notFound(target.proxy);
          this.log(`removed proxy ${target.proxy}`);
          return { status: 204 };
        }
        this.proxy(target.proxy);
        await this.checkListen(body);
        const updated = await backend.update(target.proxy, body);
        this.log(`updated proxy ${updated.name}: ${describeProxy(updated)}`);
        return { status: 200, body: updated };
      }
      case 'toxics': {
        this.proxy(target.proxy);
        if (method === 'GET') return { status: 200, body: backend.toxics(target.proxy) };
        const added = backend.addToxic(target.proxy, body);
        this.log(`added toxic ${added.name} (${added.type}, ${added.stream}) to proxy ${target.proxy}`);
        return { status: 200, body: added };
      }
      case 'toxic': {
        this.proxy(target.proxy);
        if (method === 'GET') {
          const toxic = backend.getToxic(target.proxy, target.toxic);
          if (!toxic) throw new ApiError(404, `toxic not found: proxy ${JSON.stringify(target.proxy)} has no toxic named ${JSON.stringify(target.toxic)}; GET /proxies/${target.proxy}/toxics lists them.`);
          return { status: 200, body: toxic };
        }
        if (method === 'DELETE') {
          backend.removeToxic(target.proxy, target.toxic);
          this.log(`removed toxic ${target.toxic} from proxy ${target.proxy}`);
          return { status: 204 };
        }
        const updated = backend.updateToxic(target.proxy, target.toxic, body);
        this.log(`updated toxic ${updated.name} of proxy ${target.proxy}`);
        return { status: 200, body: updated };
      }
    }
  }

  private log(line: string): void {
    this.options.onDidLog?.(`API ${line}`);
  }

  private notFound(name: string): ApiError {
    return new ApiError(404, `proxy not found: there is no proxy named ${JSON.stringify(name)}; GET /proxies lists them.`);
  }

  private proxy(name: string): ProxyDefinition {
    const proxy = this.backend.get(name);
    if (!proxy) throw this.notFound(name);
    return proxy;
  }

  /**
   * A proxy may listen beyond loopback only when the caller's policy says so. Text the engine cannot
   * read is left to it, so the refusal of a bad address stays its sentence.
   */
  private async checkListen(request: unknown): Promise<void> {
    if (!isRecord(request) || typeof request.listen !== 'string') return;
    const parsed = parseHostPort(request.listen, { allowZeroPort: true, defaultHost: '127.0.0.1' });
    if (!parsed.ok) return;
    const exposure = assessBindExposure(parsed.host, parsed.port);
    if (!exposure.exposed) return;
    const refusal = this.options.confirmProxyListen
      ? await this.options.confirmProxyListen(parsed.host, parsed.port)
      : `Not allowed: ${exposure.sentence} Listen on 127.0.0.1 or ::1.`;
    if (refusal) throw new ApiError(403, refusal);
  }

  private async populate(body: unknown): Promise<Reply> {
    const list = Array.isArray(body) ? body.map(withDefaultListen) : body;
    if (Array.isArray(list)) for (const entry of list) await this.checkListen(entry);
    try {
      const proxies = await this.backend.populate(list);
      this.log(`populated ${proxies.map((p) => p.name).join(', ') || 'no proxies'}`);
      return { status: 201, body: { proxies } };
    } catch (err) {
      // Toxiproxy answers a failed populate with the error and the listed proxies as they now are.
      const error = toApiError(err);
      const names = new Set(Array.isArray(list) ? list.map((entry: unknown) => (isRecord(entry) ? entry.name : undefined)) : []);
      return { status: error.status, body: { ...errorBody(error), proxies: this.backend.list().filter((p) => names.has(p.name)) } };
    }
  }
}

/** Toxiproxy's clients may leave `listen` out; the engine requires it, so it gets the loopback default. */
function withDefaultListen(body: unknown): unknown {
  return isRecord(body) && (body.listen === undefined || body.listen === '') ? { ...body, listen: DEFAULT_PROXY_LISTEN } : body;
}

function describeProxy(proxy: ProxyDefinition): string {
  return `${proxy.listen} → ${proxy.upstream}${proxy.enabled ? '' : ' (disabled)'}`;
}

/** The request body as JSON; 413 past MAX_BODY_BYTES, 400 with the parser's reason when it is not JSON. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body too large: keep it under ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // Toxiproxy's clients POST /reset and some updates without a body.
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(400, `bad request body: ${errorMessage(err)}; send JSON.`);
  }
}
