import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { Registry } from '../../src/core/registry';
import { ProxyHub } from '../../src/core/proxy/proxyHub';
import { ProxyApiServer, apiAddressProblem } from '../../src/app/proxy/proxyApi';
import { ByteSink, Cleanup, rawClient, rawServer, waitUntil } from './support/sockets';

/** One request with Node's own fetch, as a client library would send it. */
async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; text: string; type: string | null }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}

describe('Toxiproxy-compatible HTTP API', function () {
  this.timeout(15000);
  const cleanup = new Cleanup();
  let registry: Registry;
  let hub: ProxyHub;
  let api: ProxyApiServer;
  let base: string;
  let echoPort: number;
  const logged: string[] = [];

  beforeEach(async () => {
    logged.length = 0;
    registry = new Registry();
    hub = new ProxyHub(registry);
    api = await ProxyApiServer.start(hub, { address: '127.0.0.1:0', version: '9.9.9', onDidLog: (line) => logged.push(line) });
    base = `http://${api.address}`;
    echoPort = await rawServer(cleanup, (socket) => socket.pipe(socket));
  });

  afterEach(async () => {
    await api.close();
    await hub.removeAll();
    hub.dispose();
    await registry.stopAll();
    registry.dispose();
    await cleanup.run();
  });

  async function echoThrough(port: number, text: string): Promise<string> {
    const socket = await rawClient(cleanup, port);
    const sink = new ByteSink();
    socket.on('data', sink.push);
    socket.write(text);
    await waitUntil(() => sink.length >= text.length, `the echo of ${JSON.stringify(text)}`);
    socket.destroy();
    return sink.text();
  }

  it('GET /version answers JSON with the version', async () => {
    const res = await call(base, 'GET', '/version');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { version: '9.9.9' });
  });

  it('POST /proxies creates a relaying proxy (201, Toxiproxy\'s shape with the bound port) and GET lists it by name', async () => {
    const created = await call(base, 'POST', '/proxies', { name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    assert.equal(created.status, 201);
    const proxy = created.json as { name: string; listen: string; upstream: string; enabled: boolean; toxics: unknown[] };
    assert.equal(proxy.name, 'echo');
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(proxy.listen, '127.0.0.1:0', 'the bound port is reported');
    assert.equal(proxy.upstream, `127.0.0.1:${echoPort}`);
    assert.equal(proxy.enabled, true);
    assert.deepEqual(proxy.toxics, []);
    const port = Number(proxy.listen.split(':')[1]);
    assert.equal(await echoThrough(port, 'hello through the proxy'), 'hello through the proxy');

    const all = await call(base, 'GET', '/proxies');
    assert.equal(all.status, 200);
    assert.deepEqual(Object.keys(all.json as object), ['echo']);
    assert.deepEqual((all.json as Record<string, unknown>).echo, proxy);
    const one = await call(base, 'GET', '/proxies/echo');
    assert.deepEqual(one.json, proxy);
    assert.ok(logged.some((line) => line.startsWith('API created proxy echo: ')), logged.join('\n'));
  });

  it('a proxy without "listen" stays on loopback', async () => {
    const created = await call(base, 'POST', '/proxies', { name: 'nolisten', upstream: `127.0.0.1:${echoPort}` });
    assert.equal(created.status, 201);
    assert.match((created.json as { listen: string }).listen, /^127\.0\.0\.1:\d+$/);
  });

  it('answers bad input, unknown names and conflicts with Toxiproxy\'s status and {"error", "status"} body', async () => {
    await call(base, 'POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }, 409, /^proxy already exists: /],
      ['POST', '/proxies', { name: 'q', listen: '127.0.0.1:0' }, 400, /^bad request body: proxy\.upstream must be host:port/],
      ['POST', '/proxies', { listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }, 400, /^bad request body: proxy\.name must be non-empty text/],
      ['POST', '/proxies', { name: 'q', listen: '127.0.0.1', upstream: '127.0.0.1:1' }, 400, /^bad request body: proxy\.listen: .*has no port/],
      ['POST', '/proxies', '{"name": ', 400, /^bad request body: .*JSON.*; send JSON\.$/],
      ['GET', '/proxies/nope', undefined, 404, /^proxy not found: there is no proxy named "nope"/],
      ['DELETE', '/proxies/nope', undefined, 404, /^proxy not found: /],
      ['GET', '/proxies/nope/toxics', undefined, 404, /^proxy not found: /],
      ['GET', '/proxies/p/toxics/none', undefined, 404, /^toxic not found: proxy "p" has no toxic named "none"/],
      ['DELETE', '/proxies/p/toxics/none', undefined, 404, /^toxic not found: /],
      ['POST', '/proxies/p/toxics/none', { attributes: { latency: 1 } }, 404, /^toxic not found: /],
      ['POST', '/proxies/p/toxics', { type: 'lag' }, 400, /^bad request body: toxic\.type must be one of "latency"/],
      ['POST', '/proxies/p/toxics', { type: 'latency', stream: 'sideways' }, 400, /^bad request body: toxic\.stream must be "upstream"/],
      ['POST', '/proxies/p/toxics', { type: 'latency', toxicity: 1.5 }, 400, /^bad request body: toxic\.toxicity must be a probability from 0 to 1/],
      ['POST', '/proxies/p/toxics', { type: 'latency', attributes: { latncy: 10 } }, 400, /^bad request body: toxic\.attributes\.latncy is not an attribute of latency/],
      ['POST', '/populate', { name: 'not a list' }, 400, /^bad request body: populate takes a list of proxies/],
      ['GET', '/nowhere', undefined, 404, /^not found: \/nowhere is not a route of the proxy API/],
      ['PUT', '/proxies', {}, 405, /^method not allowed: \/proxies takes GET, POST, not PUT\.$/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await call(base, method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      const json = res.json as { error: string; status: number };
      assert.equal(json.status, status, `${method} ${path}`);
      assert.match(json.error, message, `${method} ${path}`);
      // Only "error" and "status" (a failed populate adds the proxies, as Toxiproxy's does).
      assert.deepEqual(Object.keys(json).filter((k) => k !== 'proxies'), ['error', 'status'], `${method} ${path}`);
      // One sentence: no stack trace, no line breaks.
      assert.doesNotMatch(json.error, /\n|    at /, `${method} ${path}`);
    }
  });

  it('toxics: create with Toxiproxy\'s defaults, list, show, update (attributes merged), delete; a taken name is 409', async () => {
    await call(base, 'POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const added = await call(base, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 50 } });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.json, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } });
    const again = await call(base, 'POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 5 } });
    assert.equal(again.status, 409);
    assert.match((again.json as { error: string }).error, /^toxic already exists: /);

    const list = await call(base, 'GET', '/proxies/p/toxics');
    assert.deepEqual(list.json, [added.json]);
    assert.deepEqual((await call(base, 'GET', '/proxies/p')).json, { ...(await call(base, 'GET', '/proxies/p')).json as object, toxics: [added.json] });
    const updated = await call(base, 'POST', '/proxies/p/toxics/latency_downstream', { attributes: { jitter: 5 }, toxicity: 0.5 });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.json, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 50, jitter: 5 } });
    const patched = await call(base, 'PATCH', '/proxies/p/toxics/latency_downstream', { attributes: { latency: 70 } });
    assert.equal((patched.json as { attributes: { latency: number } }).attributes.latency, 70, 'PATCH updates as POST does (newer Toxiproxy)');
    const shown = await call(base, 'GET', '/proxies/p/toxics/latency_downstream');
    assert.deepEqual(shown.json, patched.json);
    const removed = await call(base, 'DELETE', '/proxies/p/toxics/latency_downstream');
    assert.equal(removed.status, 204);
    assert.equal(removed.text, '');
    assert.deepEqual((await call(base, 'GET', '/proxies/p/toxics')).json, []);
  });

  it('a latency toxic added through the API delays what the proxy relays', async () => {
    const created = await call(base, 'POST', '/proxies', { name: 'slow', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const port = Number((created.json as { listen: string }).listen.split(':')[1]);
    await call(base, 'POST', '/proxies/slow/toxics', { type: 'latency', stream: 'downstream', attributes: { latency: 300 } });
    const started = Date.now();
    assert.equal(await echoThrough(port, 'ping'), 'ping');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290, `the echo took ${elapsed} ms, not at least 300 ms`);
  });

  it('POST /proxies/{name} disables and re-enables a proxy; POST /reset enables every proxy and removes every toxic (204)', async () => {
    const created = await call(base, 'POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const port = Number((created.json as { listen: string }).listen.split(':')[1]);
    await call(base, 'POST', '/proxies/p/toxics', { type: 'timeout', attributes: { timeout: 0 } });
    const disabled = await call(base, 'POST', '/proxies/p', { enabled: false });
    assert.equal(disabled.status, 200);
    assert.equal((disabled.json as { enabled: boolean }).enabled, false);
    const refused = net.connect({ host: '127.0.0.1', port });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED', 'a disabled proxy stops listening');

    const reset = await call(base, 'POST', '/reset');
    assert.equal(reset.status, 204);
    const after = (await call(base, 'GET', '/proxies/p')).json as { enabled: boolean; toxics: unknown[]; listen: string };
    assert.equal(after.enabled, true);
    assert.deepEqual(after.toxics, []);
    assert.equal(await echoThrough(port, 'back'), 'back', 'enabled again on the same port, and the timeout toxic is gone');
  });

  it('POST /populate creates proxies (201 {"proxies": [...]}), keeps an identical one, and answers a bad list with the error and the proxies', async () => {
    const list = [
      { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
      { name: 'b', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
    ];
    const first = await call(base, 'POST', '/populate', list);
    assert.equal(first.status, 201, first.text);
    const proxies = (first.json as { proxies: { name: string; listen: string }[] }).proxies;
    assert.deepEqual(proxies.map((p) => p.name), ['a', 'b']);
    const same = await call(base, 'POST', '/populate', list);
    assert.equal(same.status, 201);
    assert.deepEqual((same.json as { proxies: unknown[] }).proxies, proxies, 'an identical proxy is kept, port and all');
    const bad = await call(base, 'POST', '/populate', [{ name: 'c', listen: '127.0.0.1:0' }]);
    assert.equal(bad.status, 400);
    const body = bad.json as { error: string; status: number; proxies: unknown[] };
    assert.match(body.error, /^bad request body: proxies\[0\]\.upstream/);
    assert.deepEqual(body.proxies, []);
    assert.deepEqual(Object.keys((await call(base, 'GET', '/proxies')).json as object).sort(), ['a', 'b'], 'nothing changed');
  });

  it('a proxy on a port in use is a 500 with one sentence, as Toxiproxy answers a failed listen; the API keeps serving', async () => {
    const busy = await rawServer(cleanup, () => undefined);
    const res = await call(base, 'POST', '/proxies', { name: 'busy', listen: `127.0.0.1:${busy}`, upstream: `127.0.0.1:${echoPort}` });
    assert.equal(res.status, 500, res.text);
    const body = res.json as { error: string; status: number };
    assert.equal(body.status, 500);
    assert.match(body.error, new RegExp(`${busy}.*in use`, 'i'));
    assert.equal((await call(base, 'GET', '/proxies/busy')).status, 404, 'nothing was left behind');
    assert.equal((await call(base, 'GET', '/version')).status, 200);
  });

  it('refuses a proxy listening beyond loopback unless the caller confirms, and refuses browsers', async () => {
    const exposed = await call(base, 'POST', '/proxies', { name: 'wide', listen: '0.0.0.0:0', upstream: `127.0.0.1:${echoPort}` });
    assert.equal(exposed.status, 403);
    assert.match((exposed.json as { error: string }).error, /^Not allowed: Listening on 0\.0\.0\.0:0 makes a free port reachable from other machines/);
    assert.equal((await call(base, 'GET', '/proxies/wide')).status, 404);
    // The same for a populate entry and for moving an existing proxy.
    assert.equal((await call(base, 'POST', '/populate', [{ name: 'wide', listen: '[::]:0', upstream: `127.0.0.1:${echoPort}` }])).status, 403);
    await call(base, 'POST', '/proxies', { name: 'local', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const moved = await call(base, 'POST', '/proxies/local', { listen: '0.0.0.0:0' });
    assert.equal(moved.status, 403, moved.text);
    assert.match(((await call(base, 'GET', '/proxies/local')).json as { listen: string }).listen, /^127\.0\.0\.1:/, 'it stayed on loopback');
    const browser = await call(base, 'GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    assert.equal(browser.status, 403);
    assert.match((browser.json as { error: string }).error, /^User agent not allowed/);
  });

  it('asks the caller\'s policy before an exposed proxy, and goes ahead when it agrees', async () => {
    const asked: string[] = [];
    const open = await ProxyApiServer.start(hub, {
      address: '127.0.0.1:0',
      version: '1',
      confirmProxyListen: async (host, port) => {
        asked.push(`${host}:${port}`);
        return host === '0.0.0.0' ? undefined : 'Declined.';
      },
    });
    try {
      const res = await call(`http://${open.address}`, 'POST', '/proxies', { name: 'wide', listen: '0.0.0.0:0', upstream: `127.0.0.1:${echoPort}` });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(asked, ['0.0.0.0:0']);
    } finally {
      await open.close();
    }
  });

  it('the API itself binds loopback only unless exposure is allowed, and says so when its port is taken', async () => {
    assert.match(apiAddressProblem('0.0.0.0:8474', false) ?? '', /^The proxy API stays on this machine: Listening on 0\.0\.0\.0:8474 makes port 8474 reachable/);
    assert.equal(apiAddressProblem('0.0.0.0:8474', true), undefined);
    assert.match(apiAddressProblem('localhost', false) ?? '', /has no port/);
    await assert.rejects(ProxyApiServer.start(hub, { address: '[::]:0', version: '1' }), /stays on this machine/);
    await assert.rejects(ProxyApiServer.start(hub, { address: api.address, version: '1' }), (err: Error) => {
      assert.match(err.message, new RegExp(`^The proxy API cannot listen on ${api.address.replace(/\./g, '\\.')}: the port is in use`));
      return true;
    });
  });

  it('refuses a body over 1 MiB with 413, and answers two creates of one name at once with one 201 and one 409', async () => {
    const huge = await call(base, 'POST', '/proxies', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
    assert.equal(huge.status, 413);
    assert.match((huge.json as { error: string }).error, /^request body too large: keep it under 1048576 bytes\.$/);
    const body = { name: 'twice', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` };
    const statuses = (await Promise.all([call(base, 'POST', '/proxies', body), call(base, 'POST', '/proxies', body)])).map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409]);
    assert.equal(registry.listeners().length, 1, 'one listener, not two');
  });

  it('DELETE /proxies/{name} stops the proxy and closes its pairs (204)', async () => {
    const created = await call(base, 'POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` });
    const port = Number((created.json as { listen: string }).listen.split(':')[1]);
    const socket = await rawClient(cleanup, port);
    const closed = once(socket, 'close');
    const res = await call(base, 'DELETE', '/proxies/p');
    assert.equal(res.status, 204);
    await closed;
    assert.equal((await call(base, 'GET', '/proxies/p')).status, 404);
    assert.equal(registry.listeners().length, 0, 'its listener is gone from the registry');
  });
});
