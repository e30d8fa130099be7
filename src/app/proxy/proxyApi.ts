// A Toxiproxy-compatible HTTP API (node:http) over TCP Lab's proxies, so existing test suites and
// Toxiproxy's client libraries drive TCP Lab unchanged: the same routes, JSON shapes, status codes and
// error bodies (`{"error": "...", "status": 404}`). It binds loopback unless the caller allows more,
// and, like Toxiproxy, refuses browsers, so a web page cannot reconfigure the proxies.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assessBindExposure } from '../exposurePolicy';
import { errorMessage } from '../../shared/errorMessage';
import { formatHostPort, parseHostPort } from '../../shared/hostPort';
import type { ProxyDefinition, ToxicDefinition } from '../../shared/toxics';
import { ApiError, errorBody, proxyAlreadyExists, proxyNotFound, toxicAlreadyExists, toxicNotFound } from './apiError';
import { parsePopulateRequest, parseProxyChanges, parseProxyRequest, parseToxicRequest, parseToxicUpdate, type ProxyChanges, type ProxyRequest } from './apiRequests';

/** Toxiproxy's default API port. */
export const DEFAULT_API_PORT = 8474;
/** Request bodies are small JSON; a bigger one is refused before it is buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The proxies the API drives. Methods throw an Error whose message is one sentence (a listen that
 * fails, an upstream that does not parse); the API answers those with 500, as Toxiproxy does.
 */
export interface ProxyApiBackend {
  list(): ProxyDefinition[];
  get(name: string): ProxyDefinition | undefined;
  create(request: ProxyRequest): Promise<ProxyDefinition>;
  update(name: string, changes: ProxyChanges): Promise<ProxyDefinition>;
  remove(name: string): Promise<void>;
  /** Creates each proxy, or replaces the one of that name when its listen, upstream or enabled differ. */
  populate(requests: ProxyRequest[]): Promise<ProxyDefinition[]>;
  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void>;
  addToxic(proxy: string, toxic: ToxicDefinition): ToxicDefinition;
  updateToxic(proxy: string, toxic: ToxicDefinition): ToxicDefinition;
  removeToxic(proxy: string, toxic: string): void;
}

export interface ProxyApiOptions {
  /** host:port, e.g. `127.0.0.1:8474`; port 0 picks a free one. */
  address: string;
  /** Binding an address other machines reach needs this (the caller asked the user, or a flag said so). */
  allowExposed?: boolean;
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
export function apiAddressProblem(address: string, allowExposed: boolean): string | undefined {
  const parsed = parseHostPort(address, { allowZeroPort: true });
  if (!parsed.ok) return `The proxy API address ${JSON.stringify(address)} is not usable: ${parsed.message}`;
  const exposure = assessBindExposure(parsed.host, parsed.port);
  if (exposure.exposed && !allowExposed) return `The proxy API stays on this machine: ${exposure.sentence} Use 127.0.0.1:${DEFAULT_API_PORT}, or allow exposure explicitly.`;
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
    const problem = apiAddressProblem(options.address, options.allowExposed === true);
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
      reply = await this.serialised(() => this.dispatch(req));
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(500, errorMessage(err));
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

  private async dispatch(req: http.IncomingMessage): Promise<Reply> {
    // Toxiproxy's own guard: browsers could otherwise be tricked into driving a loopback API.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) throw new ApiError(403, 'User agent not allowed: the proxy API does not answer browsers; use a Toxiproxy client library, curl or tcp-lab.');
    const url = new URL(req.url ?? '/', 'http://api');
    const target = route(url.pathname);
    if (!target) throw new ApiError(404, `not found: ${url.pathname} is not a route of the proxy API; use /proxies, /populate, /reset or /version.`);
    const method = req.method ?? 'GET';
    if (!METHODS[target.kind].includes(method)) throw new ApiError(405, `method not allowed: ${url.pathname} takes ${METHODS[target.kind].join(', ')}, not ${method}.`);
    const body = method === 'POST' || method === 'PATCH' ? await readJson(req) : undefined;
    const { backend } = this;

    switch (target.kind) {
      case 'version':
        return { status: 200, body: { version: this.options.version } };
      case 'proxies':
        if (method === 'GET') return { status: 200, body: Object.fromEntries(backend.list().map((p) => [p.name, p])) };
        return { status: 201, body: await this.createProxy(body) };
      case 'populate':
        return this.populate(body);
      case 'reset':
        await backend.reset();
        this.options.onDidLog?.('API reset: every proxy enabled, every toxic removed');
        return { status: 204 };
      case 'proxy': {
        const proxy = this.proxy(target.proxy);
        if (method === 'GET') return { status: 200, body: proxy };
        if (method === 'DELETE') {
          await backend.remove(proxy.name);
          this.options.onDidLog?.(`API removed proxy ${proxy.name}`);
          return { status: 204 };
        }
        const changes = parseProxyChanges(body);
        if (!changes.ok) throw changes.error;
        await this.checkListen(changes.value.listen);
        const updated = await backend.update(proxy.name, changes.value);
        this.options.onDidLog?.(`API updated proxy ${proxy.name}: ${describeProxy(updated)}`);
        return { status: 200, body: updated };
      }
      case 'toxics': {
        const proxy = this.proxy(target.proxy);
        if (method === 'GET') return { status: 200, body: proxy.toxics };
        const toxic = parseToxicRequest(body);
        if (!toxic.ok) throw toxic.error;
        if (proxy.toxics.some((t) => t.name === toxic.value.name)) throw toxicAlreadyExists(proxy.name, toxic.value.name);
        const added = backend.addToxic(proxy.name, toxic.value);
        this.options.onDidLog?.(`API added toxic ${added.name} (${added.type}, ${added.stream}) to proxy ${proxy.name}`);
        return { status: 200, body: added };
      }
      case 'toxic': {
        const proxy = this.proxy(target.proxy);
        const existing = proxy.toxics.find((t) => t.name === target.toxic);
        if (!existing) throw toxicNotFound(proxy.name, target.toxic);
        if (method === 'GET') return { status: 200, body: existing };
        if (method === 'DELETE') {
          backend.removeToxic(proxy.name, existing.name);
          this.options.onDidLog?.(`API removed toxic ${existing.name} from proxy ${proxy.name}`);
          return { status: 204 };
        }
        const updated = parseToxicUpdate(existing, body);
        if (!updated.ok) throw updated.error;
        const result = backend.updateToxic(proxy.name, updated.value);
        this.options.onDidLog?.(`API updated toxic ${result.name} of proxy ${proxy.name}`);
        return { status: 200, body: result };
      }
    }
  }

  private proxy(name: string): ProxyDefinition {
    const proxy = this.backend.get(name);
    if (!proxy) throw proxyNotFound(name);
    return proxy;
  }

  /** A proxy may listen beyond loopback only when the caller's policy says so. */
  private async checkListen(listen: string | undefined): Promise<void> {
    if (listen === undefined) return;
    const parsed = parseHostPort(listen, { allowZeroPort: true });
    if (!parsed.ok) return;
    const exposure = assessBindExposure(parsed.host, parsed.port);
    if (!exposure.exposed) return;
    const refusal = this.options.confirmProxyListen
      ? await this.options.confirmProxyListen(parsed.host, parsed.port)
      : `Not allowed: ${exposure.sentence} Listen on 127.0.0.1 or ::1.`;
    if (refusal) throw new ApiError(403, refusal);
  }

  private async createProxy(body: unknown): Promise<ProxyDefinition> {
    const request = parseProxyRequest(body);
    if (!request.ok) throw request.error;
    if (this.backend.get(request.value.name)) throw proxyAlreadyExists(request.value.name);
    await this.checkListen(request.value.listen);
    const created = await this.backend.create(request.value);
    this.options.onDidLog?.(`API created proxy ${created.name}: ${describeProxy(created)}`);
    return created;
  }

  private async populate(body: unknown): Promise<Reply> {
    const requests = parsePopulateRequest(body);
    if (!requests.ok) throw requests.error;
    for (const request of requests.value) await this.checkListen(request.listen);
    try {
      const proxies = await this.backend.populate(requests.value);
      this.options.onDidLog?.(`API populated ${proxies.map((p) => p.name).join(', ') || 'no proxies'}`);
      return { status: 201, body: { proxies } };
    } catch (err) {
      // Toxiproxy answers a failed populate with the error and the proxies as they now are.
      const error = err instanceof ApiError ? err : new ApiError(500, errorMessage(err));
      const names = new Set(requests.value.map((r) => r.name));
      return { status: error.status, body: { ...errorBody(error), proxies: this.backend.list().filter((p) => names.has(p.name)) } };
    }
  }
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
