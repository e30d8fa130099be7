// `tcp-lab-test`: run the expectations of `*.tcp` files headless, for CI pipelines.
// Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--allow-exposed] [--verbose] FILE...
// Prints each block's result and a final `N passed, N failed`; exits 1 when anything failed,
// including a file with an error diagnostic (a misspelled directive must not pass CI silently).
// `tcp-lab-test capture2pcap FILE...` converts capture files and saved JSON Lines logs to pcapng.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { engineSockets } from './core/tcpFile/engineSockets';
import { blockHasExpectations } from './core/tcpFile/model';
import { parseDuration, parseTcpFile } from './core/tcpFile/parser';
import { formatBlockResult } from './core/tcpFile/report';
import { runBlock } from './core/tcpFile/runner';
import { unattendedListenRefusal } from './app/exposurePolicy';
import { parseTcpLabSettings, type TcpLabSettings } from './app/settingsFile';
import { captureFileOptions, convertCaptureToPcapng, describeExport } from './app/pcapExport';
import { parseEndpoint, type FileConversionOptions } from './core/pcapExport';
import { environmentVariables } from './core/tcpFile/variables';
import { errorMessage } from './shared/errorMessage';
import { plural } from './shared/plural';
import type { SocketFactory } from './core/tcpFile/runner';
import { describeTlsInfo } from './shared/tls';

const USAGE = `Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--allow-exposed] [--verbose] FILE...
Runs every block with EXPECT lines in the given .tcp files; any error in a file fails the run.
  --env NAME            use environment NAME from tcpLab.environments
  --settings FILE       read tcpLab.presets and tcpLab.environments from FILE (default: .vscode/settings.json if present)
  --timeout DURATION    default timeout for blocks without TIMEOUT, e.g. 2s (default 5s)
  --root DIR            SEND file may read only files inside DIR (default: the folder of each .tcp file)
  --allow-outside-root  let SEND file (and TLS-CA, TLS-CERT, TLS-KEY) read any file, symlinks and ../ included
  --allow-exposed       let a LISTEN block bind an address other machines can reach (0.0.0.0, ::, a LAN address)
  --verbose             print each TLS session: version, cipher, ALPN, SNI, verification
Environment: SSLKEYLOGFILE=FILE appends TLS key-log lines to FILE (for Wireshark).
Or: tcp-lab-test capture2pcap --help  (capture files to pcapng for Wireshark)`;

const CAPTURE2PCAP_USAGE = `Usage: tcp-lab-test capture2pcap [--remote ADDRESS:PORT] [--local ADDRESS:PORT] [--accepted] [-o OUT.pcapng] FILE.jsonl...
Converts TCP Lab capture files and logs saved as JSON Lines to pcapng files Wireshark opens.
  --remote ADDRESS:PORT  the peer, when the file's name does not keep it (numeric, e.g. 127.0.0.1:502 or [::1]:502)
  --local ADDRESS:PORT   TCP Lab's own end; capture files do not record it (default: a placeholder)
  --accepted             the peer connected to a TCP Lab listener (default: TCP Lab connected to the peer)
  -o, --output FILE      where to write, for one input (default: the input with .pcapng for .jsonl)`;

interface CliOptions {
  files: string[];
  env?: string;
  settings?: string;
  timeoutMs?: number;
  root?: string;
  allowOutsideRoot: boolean;
  allowExposed: boolean;
  verbose: boolean;
}

class UsageError extends Error {}

/** Visits each argument; `value()` takes the next one as the current option's value. */
function walkArgs(argv: string[], visit: (arg: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    visit(arg, () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value.`);
      return v;
    });
  }
}

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { files: [], allowOutsideRoot: false, allowExposed: false, verbose: false };
  walkArgs(argv, (arg, value) => {
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg === '--env') options.env = value();
    else if (arg === '--settings') options.settings = value();
    else if (arg === '--root') options.root = path.resolve(value());
    else if (arg === '--allow-outside-root') options.allowOutsideRoot = true;
    else if (arg === '--allow-exposed') options.allowExposed = true;
    else if (arg === '--verbose' || arg === '-v') options.verbose = true;
    else if (arg === '--timeout') {
      const text = value();
      options.timeoutMs = parseDuration(text);
      if (!options.timeoutMs) throw new UsageError(`Invalid --timeout '${text}': write a duration such as 2s or 500ms.`);
    } else if (arg.startsWith('--')) throw new UsageError(`Unknown option ${arg}.`);
    else options.files.push(...expandPattern(arg));
  });
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
  if (!options.settings && !existsSync(file)) return { presets: [], environments: {}, problems: [] };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`Cannot read settings file '${file}': check the --settings path.`);
  }
  const settings = parseTcpLabSettings(text, file);
  // The editor skips a broken preset and says why; so does the run (a block naming it then fails).
  for (const problem of settings.problems) process.stdout.write(`${file}: warning: ${problem}\n`);
  return settings;
}

function endpointOption(name: string, text: string): NonNullable<FileConversionOptions['local']> {
  const endpoint = parseEndpoint(text);
  if (!endpoint) throw new UsageError(`Invalid ${name} '${text}': write a numeric address and port such as 127.0.0.1:502 or [::1]:502.`);
  return endpoint;
}

/** `capture2pcap`: one pcapng per input, each written as it is read. */
async function capture2pcap(argv: string[]): Promise<number> {
  const files: string[] = [];
  const given: FileConversionOptions = {};
  let output: string | undefined;
  try {
    walkArgs(argv, (arg, value) => {
      if (arg === '--help' || arg === '-h') throw new UsageError('');
      else if (arg === '--remote') given.remote = endpointOption(arg, value());
      else if (arg === '--local') given.local = endpointOption(arg, value());
      else if (arg === '--accepted') given.localOpened = false;
      else if (arg === '-o' || arg === '--output') output = value();
      else if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}.`);
      else files.push(...expandPattern(arg));
    });
    if (files.length === 0) throw new UsageError('Give at least one capture file (.jsonl).');
    if (output !== undefined && files.length > 1) throw new UsageError('--output names one file; give one input with it, or leave it out to write each input beside itself.');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(message ? `${message}\n${CAPTURE2PCAP_USAGE}\n` : `${CAPTURE2PCAP_USAGE}\n`);
    return message ? 2 : 0;
  }
  let failed = 0;
  for (const file of files) {
    const target = output ?? file.replace(/\.jsonl$/i, '') + '.pcapng';
    // The options given on the command line win over what the file's name says.
    const options = { ...captureFileOptions(undefined, file), ...given };
    try {
      const summary = await convertCaptureToPcapng(file, target, options);
      process.stdout.write(`${describeExport(summary, target)}\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const hint = /does not say which peer/.test(message) ? ' Pass --remote ADDRESS:PORT.' : '';
      process.stderr.write(`${message}${hint}\n`);
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'capture2pcap') return capture2pcap(argv.slice(1));
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
    const message = errorMessage(err);
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
      process.stdout.write(`  ✗ ${fileName} has ${plural(errors, 'error')}: fix ${errors === 1 ? 'it' : 'them'} (listed above) for this file to pass.\n`);
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
        // The exposure policy the editor asks; nobody is here to answer, so the run needs the flag.
        confirm: options.allowExposed
          ? undefined
          : async (prepared) => unattendedListenRefusal(prepared.kind, prepared.host, prepared.port, 'Listen on 127.0.0.1 or ::1, or pass --allow-exposed.'),
        defaultTimeoutMs: options.timeoutMs,
        signal: controller.signal,
      });
      if (result.status === 'passed') passed++;
      else failed++;
      process.stdout.write(formatBlockResult(result).join('\n') + '\n');
      if (options.verbose && result.tls) process.stdout.write(`      TLS ${describeTlsInfo(result.tls)}\n`);
    }
  }
  const withErrors = fileErrors > 0 ? `, ${plural(fileErrors, 'file')} with errors` : '';
  process.stdout.write(`\n${passed} passed, ${failed} failed${withErrors}\n`);
  return failed > 0 || fileErrors > 0 || controller.signal.aborted ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tcp-lab-test stopped unexpectedly: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
