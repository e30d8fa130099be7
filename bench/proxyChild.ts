// The TCP Lab side of the proxy benchmark: a process running nothing but the engine's ProxyHub
// (default log limits, so every pair's traffic log records), relaying 127.0.0.1:<port> to the
// upstream port given as the argument, as socat does in its own process. proxyRelay.ts bundles this
// file with the production build's settings and runs the bundle with plain node (no tsx, no esbuild
// in the relay's process, so its RSS is the engine's). Prints {"port": N} once listening and exits
// when its stdin closes.
import { ProxyHub } from '../src/core/proxy/proxyHub';
import { Registry } from '../src/core/registry';

async function main(): Promise<void> {
  const upstreamPort = Number(process.argv[2]);
  const registry = new Registry();
  const hub = new ProxyHub(registry);
  const proxy = await hub.create({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
  process.stdout.write(JSON.stringify({ port: Number(proxy.listen.split(':').pop()) }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void hub.removeAll().then(() => {
      hub.dispose();
      registry.dispose();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
