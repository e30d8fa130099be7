// `tcp-lab-test`: run the expectations of `*.tcp` files headless, for CI pipelines.
// Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--allow-exposed] [--verbose] [--reporter junit|tap] [--output FILE] FILE...
// Prints each block's result and a final `N passed, N failed`; exits 1 when anything failed,
// including a file with an error diagnostic (a misspelled directive must not pass CI silently).
// `tcp-lab-test capture2pcap FILE...` converts capture files and saved JSON Lines logs to pcapng.
// `tcp-lab serve` runs listener and proxy presets (and the Toxiproxy-compatible API) until stopped.
// The same program answers as `tcp-lab` and `tcp-lab-test`; `tcp-lab test …` is the runner.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { REPORTERS, junitReport, tapReport, type FileReport, type ReporterName } from './core/tcpFile/ciReport';
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
import { ServeSession, ServeUsageError } from './app/serve';
import { DEFAULT_API_PORT } from './app/proxy/proxyApi';

/** Set by the bundle's build (scripts/cliBuildOptions.mjs); a run from source says `dev`. */
const VERSION = process.env.TCP_LAB_VERSION ?? 'dev';

const USAGE = `Usage: tcp-lab-test [--env NAME] [--settings FILE] [--timeout DURATION] [--root DIR] [--allow-outside-root] [--allow-exposed] [--verbose] [--reporter junit|tap] [--output FILE] FILE...
Runs every block with EXPECT lines in the given .tcp files (glob patterns such as 'tests/**/*.tcp' work quoted); any error in a file fails the run.
  --env NAME            use environment NAME from tcpLab.environments
  --settings FILE       read tcpLab.presets and tcpLab.environments from FILE (default: .vscode/settings.json if present)
  --timeout DURATION    default timeout for blocks without TIMEOUT, e.g. 2s (default 5s)
  --root DIR            SEND file may read only files inside DIR (default: the folder of each .tcp file)
  --allow-outside-root  let SEND file (and TLS-CA, TLS-CERT, TLS-KEY) read any file, symlinks and ../ included
  --allow-exposed       let a LISTEN block bind an address other machines can reach (0.0.0.0, ::, a LAN address)
  --verbose             print each TLS session: version, cipher, ALPN, SNI, verification
  --reporter NAME       also write a report for CI: junit (JUnit XML) or tap (TAP 13); default text only
  -o, --output FILE     where the junit or tap report goes (default: stdout, with the progress on stderr)
Environment: SSLKEYLOGFILE=FILE appends TLS key-log lines to FILE (for Wireshark).
Or: tcp-lab-test capture2pcap --help  (capture files to pcapng for Wireshark)
Or: tcp-lab serve --help  (run listener and proxy presets, and the Toxiproxy-compatible API, headless)
tcp-lab and tcp-lab-test are the same program; tcp-lab test FILE... runs the blocks as above.`;

const SERVE_USAGE = `Usage: tcp-lab serve [--settings FILE] [--preset NAME]... [--api ADDRESS:PORT] [--allow-exposed]
Runs listener presets (mock servers) and proxy presets from tcpLab.presets without VS Code, printing one line per connection, rule hit and fault, until SIGINT (Ctrl-C) or SIGTERM closes every socket.
  --settings FILE        read tcpLab.presets from FILE (default: .vscode/settings.json)
  --preset NAME          run this preset; repeat for more (default: every listener and proxy preset)
  --api ADDRESS:PORT     also serve the Toxiproxy-compatible HTTP API there, e.g. 127.0.0.1:${DEFAULT_API_PORT}
  --allow-exposed        let presets, API-created proxies and the API bind addresses other machines reach (0.0.0.0, ::, a LAN address)`;

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
  reporter: ReporterName;
  /** Where the junit or tap report goes; without it, stdout (and the progress text to stderr). */
  output?: string;
}

class UsageError extends Error {}

/** Where the run's human-readable lines go: stdout, unless a report takes stdout. */
let progress: NodeJS.WritableStream = process.stdout;

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * node:util parseArgs, so `--env=staging`, `--env staging` and `-v` all work; it runs non-strict and
 * the checks here give each mistake one sentence naming the option, instead of Node's error text.
 */
function readArgs(argv: string[], spec: OptionSpec): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: { ...spec, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = token.name === 'help' ? { type: 'boolean' } : spec[token.name];
    if (!known) throw new UsageError(`Unknown option ${token.rawName}.`);
    if (known.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value.`);
    if (known.type === 'boolean' && token.inlineValue) throw new UsageError(`${token.rawName} takes no value; write ${token.rawName} alone.`);
  }
  if (values.help) throw new UsageError('');
  return { values, positionals };
}

const RUN_OPTIONS: OptionSpec = {
  env: { type: 'string' },
  settings: { type: 'string' },
  timeout: { type: 'string' },
  root: { type: 'string' },
  'allow-outside-root': { type: 'boolean' },
  'allow-exposed': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  reporter: { type: 'string' },
  output: { type: 'string', short: 'o' },
};

function stringValue(value: string | boolean | (string | boolean)[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseRunArgs(argv: string[]): CliOptions {
  const { values, positionals } = readArgs(argv, RUN_OPTIONS);
  const root = stringValue(values.root);
  const options: CliOptions = {
    files: positionals.flatMap(expandPattern),
    env: stringValue(values.env),
    settings: stringValue(values.settings),
    root: root === undefined ? undefined : path.resolve(root),
    allowOutsideRoot: values['allow-outside-root'] === true,
    allowExposed: values['allow-exposed'] === true,
    verbose: values.verbose === true,
    reporter: 'text',
    output: stringValue(values.output),
  };
  const timeout = stringValue(values.timeout);
  if (timeout !== undefined) {
    options.timeoutMs = parseDuration(timeout);
    if (!options.timeoutMs) throw new UsageError(`Invalid --timeout '${timeout}': write a duration such as 2s or 500ms.`);
  }
  const reporter = stringValue(values.reporter);
  if (reporter !== undefined) {
    if (!(REPORTERS as readonly string[]).includes(reporter)) throw new UsageError(`Unknown --reporter '${reporter}': use ${REPORTERS.join(', ')}.`);
    options.reporter = reporter as ReporterName;
  }
  if (options.output !== undefined && options.reporter === 'text') throw new UsageError('--output is where a junit or tap report goes: add --reporter junit or --reporter tap.');
  if (options.files.length === 0) throw new UsageError('Give at least one .tcp file.');
  return options;
}

// Shells on Windows (and quoted arguments anywhere) leave `tests/**/*.tcp` to us: expand it with
// tinyglobby, sorted so runs and reports list files in the same order. A name that exists wins over
// a pattern; a pattern that matches nothing stays as given, so the run says it cannot read it.
function expandPattern(arg: string): string[] {
  // Glob patterns use `/`; a Windows user types `tests\*.tcp`.
  const pattern = process.platform === 'win32' ? arg.replace(/\\/g, '/') : arg;
  if (existsSync(arg) || !isDynamicPattern(pattern)) return [arg];
  const matches = globSync(pattern, { onlyFiles: true, expandDirectories: false }).sort();
  return matches.length > 0 ? matches : [arg];
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
  for (const problem of settings.problems) progress.write(`${file}: warning: ${problem}\n`);
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
    const { values, positionals } = readArgs(argv, {
      remote: { type: 'string' },
      local: { type: 'string' },
      accepted: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    });
    const remote = stringValue(values.remote);
    const local = stringValue(values.local);
    if (remote !== undefined) given.remote = endpointOption('--remote', remote);
    if (local !== undefined) given.local = endpointOption('--local', local);
    if (values.accepted === true) given.localOpened = false;
    output = stringValue(values.output);
    files.push(...positionals.flatMap(expandPattern));
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

const SERVE_OPTIONS: OptionSpec = {
  settings: { type: 'string' },
  preset: { type: 'string', multiple: true },
  api: { type: 'string' },
  'allow-exposed': { type: 'boolean' },
};

/** `serve`: resolves once a signal stopped the session (0), or at once with 2 (usage) or 1 (a start failed). */
async function serve(argv: string[]): Promise<number> {
  let settingsFile: string;
  let names: string[];
  let api: string | undefined;
  let allowExposed: boolean;
  let settings: TcpLabSettings;
  try {
    const { values, positionals } = readArgs(argv, SERVE_OPTIONS);
    if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}': name presets with --preset NAME.`);
    settingsFile = typeof values.settings === 'string' ? values.settings : path.join('.vscode', 'settings.json');
    names = Array.isArray(values.preset) ? values.preset.filter((v): v is string => typeof v === 'string') : [];
    api = typeof values.api === 'string' ? values.api : undefined;
    allowExposed = values['allow-exposed'] === true;
    settings = await loadSettings({ files: [], settings: settingsFile, allowOutsideRoot: false, allowExposed, verbose: false, reporter: 'text' });
  } catch (err) {
    const message = errorMessage(err);
    process.stderr.write(message ? `${message}\n${SERVE_USAGE}\n` : `${SERVE_USAGE}\n`);
    return message ? 2 : 0;
  }

  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  let session: ServeSession;
  try {
    session = await ServeSession.start({
      presets: settings.presets,
      names,
      api,
      allowExposed,
      // Preset file paths are relative to the workspace folder: the one holding .vscode/settings.json.
      baseDir: path.basename(path.dirname(path.resolve(settingsFile))) === '.vscode' ? path.dirname(path.dirname(path.resolve(settingsFile))) : path.dirname(path.resolve(settingsFile)),
      version: VERSION,
      print,
    });
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return err instanceof ServeUsageError ? 2 : 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await session.stop();
  print(`Stopped on ${signal}: every proxy, listener and connection is closed.`);
  // A proxy pair's upstream socket may still wait for its server's FIN (the engine gives it up to
  // 5 s); nothing is left to serve, so that wait must not hold the exit for more than a moment.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'capture2pcap') return capture2pcap(argv.slice(1));
  if (argv[0] === 'serve') return serve(argv.slice(1));
  // `tcp-lab test FILE...` is the runner under its subcommand name.
  if (argv[0] === 'test') argv = argv.slice(1);
  let options: CliOptions;
  let settings: TcpLabSettings;
  try {
    options = parseRunArgs(argv);
    // A report on stdout must stay parseable, so the human-readable progress moves to stderr.
    if (options.reporter !== 'text' && options.output === undefined) progress = process.stderr;
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
  const reports: FileReport[] = [];
  for (const fileName of options.files) {
    const report: FileReport = { file: fileName, results: [], errors: [] };
    reports.push(report);
    progress.write(`${fileName}\n`);
    let text: string;
    try {
      text = await readFile(fileName, 'utf8');
    } catch {
      progress.write(`  ✗ Cannot read '${fileName}': check the path.\n`);
      report.errors.push(`Cannot read '${fileName}': check the path.`);
      failed++;
      continue;
    }
    const file = parseTcpFile(text, { presetNames: settings.presets.map((p) => p.name), environment });
    for (const d of file.diagnostics) {
      const where = `${fileName}:${d.line + 1}:${d.startCol + 1}`;
      progress.write(`  ${where} ${d.severity}: ${d.message}\n`);
      if (d.severity === 'error') report.errors.push(`${where} error: ${d.message}`);
    }
    // An error outside any block with EXPECT (say `EXPCT text ok`) would otherwise leave nothing to fail.
    const errors = file.diagnostics.filter((d) => d.severity === 'error').length;
    if (errors > 0) {
      progress.write(`  ✗ ${fileName} has ${plural(errors, 'error')}: fix ${errors === 1 ? 'it' : 'them'} (listed above) for this file to pass.\n`);
      fileErrors++;
    }
    const blocks = file.blocks.filter(blockHasExpectations);
    if (blocks.length === 0) progress.write('  (no block with EXPECT lines)\n');
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
      report.results.push(result);
      if (result.status === 'passed') passed++;
      else failed++;
      progress.write(formatBlockResult(result).join('\n') + '\n');
      if (options.verbose && result.tls) progress.write(`      TLS ${describeTlsInfo(result.tls)}\n`);
    }
  }
  const withErrors = fileErrors > 0 ? `, ${plural(fileErrors, 'file')} with errors` : '';
  progress.write(`\n${passed} passed, ${failed} failed${withErrors}\n`);
  if (options.reporter !== 'text') {
    const text = options.reporter === 'junit' ? junitReport(reports) : tapReport(reports);
    if (options.output === undefined) process.stdout.write(text);
    else {
      try {
        await writeFile(options.output, text);
      } catch (err) {
        process.stderr.write(`Cannot write the ${options.reporter} report to '${options.output}': ${errorMessage(err)}; check the --output path.\n`);
        return 1;
      }
    }
  }
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
