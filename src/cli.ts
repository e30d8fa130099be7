// `tcp-lab-test`: run the expectations of `*.tcp` files headless, for CI pipelines.
// Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--verbose] FILE...
// Prints each block's result and a final `N passed, N failed`; exits 1 when anything failed,
// including a file with an error diagnostic (a misspelled directive must not pass CI silently).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { engineSockets } from './core/tcpFile/engineSockets';
import { blockHasExpectations } from './core/tcpFile/model';
import { parseDuration, parseTcpFile } from './core/tcpFile/parser';
import { formatBlockResult } from './core/tcpFile/report';
import { runBlock } from './core/tcpFile/runner';
import { parseTcpLabSettings, type TcpLabSettings } from './app/settingsFile';
import { environmentVariables } from './core/tcpFile/variables';
import type { SocketFactory } from './core/tcpFile/runner';
import { describeTlsInfo } from './shared/tls';

const USAGE = `Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--verbose] FILE...
Runs every block with EXPECT lines in the given .tcp files; any error in a file fails the run.
  --env NAME            use environment NAME from tcpLab.environments
  --settings FILE       read tcpLab.presets and tcpLab.environments from FILE (default: .vscode/settings.json if present)
  --timeout DURATION    default timeout for blocks without TIMEOUT, e.g. 2s (default 5s)
  --root DIR            SEND file may read only files inside DIR (default: the folder of each .tcp file)
  --allow-outside-root  let SEND file (and TLS-CA, TLS-CERT, TLS-KEY) read any file, symlinks and ../ included
  --verbose             print each TLS session: version, cipher, ALPN, SNI, verification
Environment: SSLKEYLOGFILE=FILE appends TLS key-log lines to FILE (for Wireshark).`;

interface CliOptions {
  files: string[];
  env?: string;
  settings?: string;
  timeoutMs?: number;
  root?: string;
  allowOutsideRoot: boolean;
  verbose: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { files: [], allowOutsideRoot: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value.`);
      return v;
    };
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg === '--env') options.env = value();
    else if (arg === '--settings') options.settings = value();
    else if (arg === '--root') options.root = path.resolve(value());
    else if (arg === '--allow-outside-root') options.allowOutsideRoot = true;
    else if (arg === '--verbose' || arg === '-v') options.verbose = true;
    else if (arg === '--timeout') {
      const text = value();
      options.timeoutMs = parseDuration(text);
      if (!options.timeoutMs) throw new UsageError(`Invalid --timeout '${text}': write a duration such as 2s or 500ms.`);
    } else if (arg.startsWith('--')) throw new UsageError(`Unknown option ${arg}.`);
    else options.files.push(...expandPattern(arg));
  }
  if (options.files.length === 0) throw new UsageError('Give at least one .tcp file.');
  return options;
}

/** Shells on Windows do not expand `tests/*.tcp`; expand `*` and `?` in the file name part ourselves. */
function expandPattern(arg: string): string[] {
  const base = path.basename(arg);
  if (!/[*?]/.test(base) || existsSync(arg)) return [arg];
  const dir = path.dirname(arg);
  const pattern = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [arg];
  }
  const matches = names.filter((name) => pattern.test(name)).sort();
  return matches.length > 0 ? matches.map((name) => path.join(dir, name)) : [arg];
}

async function loadSettings(options: CliOptions): Promise<TcpLabSettings> {
  const file = options.settings ?? path.join('.vscode', 'settings.json');
  if (!options.settings && !existsSync(file)) return { presets: [], environments: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`Cannot read settings file '${file}': check the --settings path.`);
  }
  return parseTcpLabSettings(text, file);
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  let settings: TcpLabSettings;
  try {
    options = parseArgs(argv);
    settings = await loadSettings(options);
    if (options.env && !settings.environments[options.env]) {
      const known = Object.keys(settings.environments).filter((n) => n !== '$shared');
      throw new UsageError(`Unknown environment '${options.env}': ${known.length ? `use one of ${known.join(', ')}` : 'define it in tcpLab.environments'}.`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(message ? `${message}\n${USAGE}\n` : `${USAGE}\n`);
    return message ? 2 : 0;
  }

  const controller = new AbortController();
  // Ctrl-C ends the current wait; the runner then closes its sockets before we exit.
  process.once('SIGINT', () => controller.abort());
  const environment = environmentVariables(settings.environments, options.env);
  // The same variable curl, browsers and openssl read: TLS keys for a Wireshark capture.
  const keyLogFile = process.env.SSLKEYLOGFILE || undefined;
  const sockets: SocketFactory = keyLogFile
    ? { connect: (o) => engineSockets.connect({ ...o, keyLogFile }), listen: (o) => engineSockets.listen({ ...o, keyLogFile }) }
    : engineSockets;
  let passed = 0;
  let failed = 0;
  let fileErrors = 0;
  for (const fileName of options.files) {
    process.stdout.write(`${fileName}\n`);
    let text: string;
    try {
      text = await readFile(fileName, 'utf8');
    } catch {
      process.stdout.write(`  ✗ Cannot read '${fileName}': check the path.\n`);
      failed++;
      continue;
    }
    const file = parseTcpFile(text, { presetNames: settings.presets.map((p) => p.name), environment });
    for (const d of file.diagnostics) {
      process.stdout.write(`  ${fileName}:${d.line + 1}:${d.startCol + 1} ${d.severity}: ${d.message}\n`);
    }
    // An error outside any block with EXPECT (say `EXPCT text ok`) would otherwise leave nothing to fail.
    const errors = file.diagnostics.filter((d) => d.severity === 'error').length;
    if (errors > 0) {
      process.stdout.write(`  ✗ ${fileName} has ${errors} error${errors === 1 ? '' : 's'}: fix ${errors === 1 ? 'it' : 'them'} (listed above) for this file to pass.\n`);
      fileErrors++;
    }
    const blocks = file.blocks.filter(blockHasExpectations);
    if (blocks.length === 0) process.stdout.write('  (no block with EXPECT lines)\n');
    const baseDir = path.dirname(path.resolve(fileName));
    for (const block of blocks) {
      if (controller.signal.aborted) break;
      const result = await runBlock(file, block, {
        sockets,
        environment,
        presets: settings.presets,
        baseDir,
        fileRoot: {
          dir: options.root ?? baseDir,
          allowOutside: options.allowOutsideRoot,
          howToAllow: options.root ? 'pass another --root or --allow-outside-root' : 'pass --root DIR for a folder that contains it, or --allow-outside-root',
        },
        defaultTimeoutMs: options.timeoutMs,
        signal: controller.signal,
      });
      if (result.status === 'passed') passed++;
      else failed++;
      process.stdout.write(formatBlockResult(result).join('\n') + '\n');
      if (options.verbose && result.tls) process.stdout.write(`      TLS ${describeTlsInfo(result.tls)}\n`);
    }
  }
  const withErrors = fileErrors > 0 ? `, ${fileErrors} file${fileErrors === 1 ? '' : 's'} with errors` : '';
  process.stdout.write(`\n${passed} passed, ${failed} failed${withErrors}\n`);
  return failed > 0 || fileErrors > 0 || controller.signal.aborted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tcp-lab-test stopped unexpectedly: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
