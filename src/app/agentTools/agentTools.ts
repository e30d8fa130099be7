// The language-model tools (`tcplab_*`) without VS Code: what each one asks the user before it runs,
// what it does on the shared Registry (so an agent's listeners and connections are the user's, in the
// tree and the panels), and the text it hands back to the model, always bounded. The host adapter
// (host/languageModelTools.ts) only registers these with `vscode.lm` and wraps the results.
import type { Connection } from '../../core/connection';
import { TcpError } from '../../core/errors';
import { DEFAULT_LISTEN_HOST, type Listener } from '../../core/listener';
import { MockServer } from '../../core/mockServer';
import type { Registry, RegistryItem } from '../../core/registry';
import type { TcpBlock, TcpFile } from '../../core/tcpFile/model';
import { NO_TCP_FRAMING, parseTcpFraming, presetTcpFraming, type TcpFraming } from '../../core/tcpFile/framing';
import { regexProblem } from '../../core/tcpFile/parser';
import { formatBlockResult } from '../../core/tcpFile/report';
import { expectOnOpenConnection, prepareBlock, runBlock, type OpenExpectation, type PreparedBlock, type RunOptions } from '../../core/tcpFile/runner';
import { environmentVariables } from '../../core/tcpFile/variables';
import { formatBytes } from '../../shared/formatBytes';
import { toHex } from '../../shared/hexFormat';
import { formatHostPort, parseHostPort, validateHostText } from '../../shared/hostPort';
import { parsePayload } from '../../shared/parsePayload';
import type { LineEnding, PayloadFormat, TextEncodingName } from '../../shared/payloadTypes';
import type { Preset } from '../../shared/preset';
import { renderVisible } from '../../shared/textStreamDecoder';
import { errorMessage } from '../../shared/errorMessage';
import { plural } from '../../shared/plural';
import { hasMockBehaviour } from '../presetStarts';
import { assessBindExposure, assessConnectExposure, type BindExposure } from '../exposurePolicy';
import type { Environments } from '../settingsFile';
import { registrySockets } from '../tcpFileSockets';
import { connectionPeer, describeItem, isListener, listenerAddress } from '../targets';
import { boundText, MAX_RESULT_BYTES } from './boundedOutput';
import { validateToolInput, type ToolSchema } from './inputValidation';

export const TOOL_NAMES = [
  'tcplab_listen',
  'tcplab_connect',
  'tcplab_send',
  'tcplab_expect',
  'tcplab_read',
  'tcplab_list',
  'tcplab_run_tcp_file',
  'tcplab_close',
] as const;

export type ToolName = (typeof TOOL_NAMES)[number];

export const RESTRICTED_REFUSAL = "TCP Lab's tools do not run in Restricted Mode: trust the workspace (Workspaces: Manage Workspace Trust) to let an agent open, send or read sockets.";

/** How long tcplab_expect waits when the model names no timeout, and the most it may ask for. */
export const DEFAULT_EXPECT_TIMEOUT_MS = 5000;
export const MAX_EXPECT_TIMEOUT_MS = 120_000;
/** What tcplab_read shows of the data when the model names no maxBytes. */
export const DEFAULT_READ_BYTES = 4096;

/** A `.tcp` file the host found and parsed, with everything a run needs but the sockets. */
export interface LoadedTcpFile {
  file: TcpFile;
  /** As the user would name it (relative to the workspace). */
  displayPath: string;
  options: Omit<RunOptions, 'sockets' | 'confirm' | 'environment'>;
  environments: Environments;
  /** The environment the user selected in the status bar, used when the tool names none. */
  selectedEnvironment?: string;
}

/** What the tools need from the editor; the host implements it with VS Code, tests with plain objects. */
export interface AgentToolsHost {
  isTrusted(): boolean;
  findPreset(name: string): Preset | undefined;
  presetNames(): string[];
  defaultEncoding(): TextEncodingName;
  /** A listener preset's mock server gets the owner every panel shares (host: ListenerBehaviours). */
  adoptMockServer(listener: Listener, server: MockServer, preset: Preset): void;
  nameAfterPreset(id: string, presetName: string): void;
  loadTcpFile(path: string): Promise<{ ok: true; loaded: LoadedTcpFile } | { ok: false; error: string }>;
}

/** What prepareInvocation shows: the progress line and, when the user must agree first, the question. */
export interface PreparedCall {
  invocationMessage: string;
  confirmation?: { title: string; message: string };
}

export type ToolOutcome = { ok: true; text: string } | { ok: false; error: string };

/** Approvals from confirmed prepareInvocation calls kept at most; older ones are dropped. */
const MAX_APPROVALS = 64;

type Input = Record<string, unknown>;

function str(input: Input, key: string): string | undefined {
  return typeof input[key] === 'string' ? (input[key] as string) : undefined;
}

function num(input: Input, key: string): number | undefined {
  return typeof input[key] === 'number' ? (input[key] as number) : undefined;
}

function timeOfDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}

function isLoopbackPeer(connection: Connection): boolean {
  const address = connection.remote?.address;
  return address !== undefined && !assessConnectExposure(address, connection.remote?.port ?? 0).exposed;
}

function confirmationOf(title: string, exposure: BindExposure): PreparedCall['confirmation'] {
  return { title, message: `${exposure.sentence ?? ''} ${exposure.detail ?? ''}`.trim() };
}

function fail(error: string): ToolOutcome {
  return { ok: false, error };
}

/** A listen or connect target resolved from the tool's input, before any socket opens. */
type Target = { ok: true; host: string; port: number; preset?: Preset } | { ok: false; error: string };

/** A planned `.tcp` run: the blocks and what each would open, or the one problem. */
type RunPlan = { ok: true; loaded: LoadedTcpFile; blocks: { block: TcpBlock; prepared?: PreparedBlock; error?: string }[]; environment: Record<string, string> } | { ok: false; error: string };

export class AgentTools {
  /** Keys of the calls the user confirmed in prepareInvocation; invoke checks and consumes them. */
  private readonly approvals = new Set<string>();
  /** Per connection: how many received bytes earlier tcplab_expect calls consumed. */
  private readonly expectCursor = new WeakMap<Connection, number>();
  /** The preset each listener or connection was started from, for its encoding and framing (forgotten with the item). */
  private readonly presetOf = new WeakMap<RegistryItem, Preset>();

  constructor(
    private readonly registry: Registry,
    private readonly host: AgentToolsHost,
    /** Each tool's inputSchema, from package.json: the one copy of each schema. */
    private readonly schemas: Readonly<Record<string, ToolSchema>>,
  ) {}

  /** What prepareInvocation returns; never opens anything. */
  async prepare(name: ToolName, rawInput: unknown): Promise<PreparedCall> {
    // Nothing will run, so there is nothing to confirm: invoke answers with the refusal.
    if (!this.host.isTrusted()) return { invocationMessage: `${name}: refused in Restricted Mode` };
    const checked = this.check(name, rawInput);
    if (!checked.ok) return { invocationMessage: `${name}: ${checked.error}` };
    const input = checked.input;
    switch (name) {
      case 'tcplab_listen': {
        const target = this.listenTarget(input);
        if (!target.ok) return { invocationMessage: `Start a TCP listener (${target.error})` };
        const where = formatHostPort(target.host, target.port);
        const exposure = assessBindExposure(target.host, target.port);
        if (!exposure.exposed) return { invocationMessage: `Listening on ${where}` };
        this.approve(`listen ${target.host} ${target.port}`);
        return { invocationMessage: `Listening on ${where}`, confirmation: confirmationOf(`Listen on ${where}?`, exposure) };
      }
      case 'tcplab_connect': {
        const target = this.connectTarget(input);
        if (!target.ok) return { invocationMessage: `Open a TCP connection (${target.error})` };
        const where = formatHostPort(target.host, target.port);
        const exposure = assessConnectExposure(target.host, target.port);
        if (!exposure.exposed) return { invocationMessage: `Connecting to ${where}` };
        this.approve(`connect ${target.host} ${target.port}`);
        return { invocationMessage: `Connecting to ${where}`, confirmation: confirmationOf(`Connect to ${where}?`, exposure) };
      }
      case 'tcplab_send': {
        const id = str(input, 'id') as string;
        const item = this.registry.getLive(id);
        const parsed = this.payload(input, item);
        const size = parsed.ok ? plural(parsed.bytes.length, 'byte') : 'data';
        if (!item) return { invocationMessage: `Send ${size} to ${id}` };
        const peers = isListener(item) ? item.connections : [item];
        const where = isListener(item) ? `every client of listener ${listenerAddress(item)} (${plural(peers.length, 'client')})` : `${connectionPeer(item)} (${item.id})`;
        const message = `Send ${size} to ${where}`;
        const remote = peers.filter((c) => !isLoopbackPeer(c));
        if (remote.length === 0) return { invocationMessage: message };
        this.approve(`send ${id}`);
        const names = remote.map((c) => connectionPeer(c)).join(', ');
        return {
          invocationMessage: message,
          confirmation: { title: `Send to another machine?`, message: `${message}: ${names} ${remote.length === 1 ? 'is' : 'are'} not on this machine.${parsed.ok ? ` The bytes: ${toHex(parsed.bytes.subarray(0, 64))}${parsed.bytes.length > 64 ? ' …' : ''}` : ''}` },
        };
      }
      case 'tcplab_expect': {
        const id = str(input, 'id') as string;
        const item = this.registry.get(id);
        const what = str(input, 'match') === 'close' ? 'the peer to close' : str(input, 'match') === 'nothing' ? 'silence' : `${str(input, 'match') ?? 'data'} ${JSON.stringify(str(input, 'value') ?? '')}`;
        return { invocationMessage: `Waiting up to ${num(input, 'timeoutMs') ?? DEFAULT_EXPECT_TIMEOUT_MS} ms on ${item ? describeItem(item) : id} for ${what}` };
      }
      case 'tcplab_read': {
        const id = str(input, 'id') as string;
        const item = this.registry.get(id);
        return { invocationMessage: `Reading the traffic of ${item ? describeItem(item) : id}` };
      }
      case 'tcplab_list':
        return { invocationMessage: 'Listing TCP Lab listeners and connections' };
      case 'tcplab_close': {
        const id = str(input, 'id') as string;
        const item = this.registry.get(id);
        return { invocationMessage: `Closing ${item ? describeItem(item) : id}` };
      }
      case 'tcplab_run_tcp_file': {
        const plan = await this.planRun(input);
        if (!plan.ok) return { invocationMessage: `Run ${str(input, 'path') ?? 'a .tcp file'} (${plan.error})` };
        const parts = plan.blocks.map(({ block, prepared }) => {
          if (!prepared) return `'${block.name}' (cannot run as written)`;
          const bytes = prepared.steps.reduce((sum, step) => sum + (step.kind === 'send' ? step.bytes.length : 0), 0);
          return `'${block.name}': ${prepared.kind === 'listen' ? 'listen on' : 'connect to'} ${formatHostPort(prepared.host, prepared.port)}, send ${plural(bytes, 'byte')}`;
        });
        const message = `Run ${plural(plan.blocks.length, 'block')} of ${plan.loaded.displayPath}: ${parts.join('; ')}`;
        const exposed = plan.blocks.flatMap(({ prepared }) => (prepared ? [[prepared, this.blockExposure(prepared)] as const] : [])).filter(([, e]) => e.exposed);
        if (exposed.length === 0) return { invocationMessage: message };
        for (const [prepared] of exposed) this.approve(this.blockKey(prepared));
        return {
          invocationMessage: message,
          confirmation: { title: `Run ${plan.loaded.displayPath}?`, message: `${message}. ${exposed.map(([, e]) => e.sentence).join(' ')}` },
        };
      }
    }
  }

  /** What invoke returns: the result text or the one-sentence refusal. Never throws. */
  async invoke(name: ToolName, rawInput: unknown, signal?: AbortSignal): Promise<ToolOutcome> {
    if (!this.host.isTrusted()) return fail(RESTRICTED_REFUSAL);
    const checked = this.check(name, rawInput);
    if (!checked.ok) return checked;
    try {
      const outcome = await this.run(name, checked.input, signal);
      return outcome.ok ? { ok: true, text: boundText(outcome.text, MAX_RESULT_BYTES) } : outcome;
    } catch (err) {
      // Engine errors are already one sentence (TcpError); anything else is reported the same way.
      return fail(err instanceof TcpError ? err.message : `${name} failed: ${errorMessage(err)}`);
    }
  }

  private check(name: string, rawInput: unknown): { ok: true; input: Input } | { ok: false; error: string } {
    const schema = this.schemas[name];
    if (!schema) return { ok: false, error: `${name} is not a TCP Lab tool; use one of ${TOOL_NAMES.join(', ')}.` };
    return validateToolInput(rawInput, schema);
  }

  private run(name: ToolName, input: Input, signal: AbortSignal | undefined): Promise<ToolOutcome> {
    switch (name) {
      case 'tcplab_listen':
        return this.listen(input);
      case 'tcplab_connect':
        return this.connect(input);
      case 'tcplab_send':
        return this.send(input);
      case 'tcplab_expect':
        return this.expect(input, signal);
      case 'tcplab_read':
        return Promise.resolve(this.read(input));
      case 'tcplab_list':
        return Promise.resolve(this.list());
      case 'tcplab_run_tcp_file':
        return this.runTcpFile(input, signal);
      case 'tcplab_close':
        return this.close(input);
    }
  }

  // ---- approvals ----------------------------------------------------------------------------------

  private approve(key: string): void {
    this.approvals.delete(key);
    this.approvals.add(key);
    while (this.approvals.size > MAX_APPROVALS) this.approvals.delete(this.approvals.values().next().value as string);
  }

  /** True once per confirmed prepareInvocation: a call that skipped the confirmation is refused. */
  private consumeApproval(key: string): boolean {
    return this.approvals.delete(key);
  }

  // ---- listen / connect ---------------------------------------------------------------------------

  private presetFor(name: string, kind: Preset['kind']): { ok: true; preset: Preset } | { ok: false; error: string } {
    const preset = this.host.findPreset(name);
    if (!preset) {
      const names = this.host.presetNames();
      return { ok: false, error: `There is no valid preset named "${name}" in tcpLab.presets; ${names.length ? `use one of ${names.map((n) => `"${n}"`).join(', ')}` : 'there are no presets yet'}.` };
    }
    if (preset.kind !== kind) {
      // A proxy preset listens; an agent reaches the server behind it by connecting to the proxy.
      const use = preset.kind === 'listener' ? 'use tcplab_listen for it' : preset.kind === 'proxy' ? 'the user starts it (Start Preset), then tcplab_connect reaches its server through it' : 'use tcplab_connect for it';
      return { ok: false, error: `Preset "${name}" is a ${preset.kind} preset; ${use}.` };
    }
    return { ok: true, preset };
  }

  private listenTarget(input: Input): Target {
    const presetName = str(input, 'preset');
    const found = presetName !== undefined ? this.presetFor(presetName, 'listener') : undefined;
    if (found && !found.ok) return found;
    const preset = found?.preset;
    const host = (str(input, 'host') ?? preset?.host ?? DEFAULT_LISTEN_HOST).trim();
    const port = num(input, 'port') ?? preset?.port;
    if (port === undefined) return { ok: false, error: 'Give "port" (0 picks a free one) or the name of a listener preset in "preset".' };
    const problem = validateHostText(host);
    if (problem) return { ok: false, error: `"host": ${problem}` };
    return { ok: true, host, port, preset };
  }

  private connectTarget(input: Input): Target {
    const presetName = str(input, 'preset');
    const found = presetName !== undefined ? this.presetFor(presetName, 'client') : undefined;
    if (found && !found.ok) return found;
    const preset = found?.preset;
    const text = str(input, 'target');
    if (text === undefined) {
      if (!preset) return { ok: false, error: 'Give "target" as host:port (e.g. 127.0.0.1:5020) or the name of a client preset in "preset".' };
      return { ok: true, host: preset.host, port: preset.port, preset };
    }
    const parsed = parseHostPort(text);
    if (!parsed.ok) return { ok: false, error: `"target": ${parsed.message}` };
    return { ok: true, host: parsed.host, port: parsed.port, preset };
  }

  private async listen(input: Input): Promise<ToolOutcome> {
    const target = this.listenTarget(input);
    if (!target.ok) return target;
    if (assessBindExposure(target.host, target.port).exposed && !this.consumeApproval(`listen ${target.host} ${target.port}`)) {
      return fail(`Not started: listening on ${formatHostPort(target.host, target.port)} needs the user's confirmation, which this call did not get; use 127.0.0.1 to stay on this machine.`);
    }
    const listener = await this.registry.listen({ host: target.host, port: target.port });
    const lines = [`Listening on ${listenerAddress(listener)} with id ${listener.id}.`];
    const preset = target.preset;
    if (preset) {
      this.presetOf.set(listener, preset);
      this.host.nameAfterPreset(listener.id, preset.name);
      if (hasMockBehaviour(preset)) {
        const attached = MockServer.attach(listener, preset, `Preset "${preset.name}"`);
        if (!attached.ok) {
          await listener.stop({ closeConnections: true });
          return fail(attached.error);
        }
        this.host.adoptMockServer(listener, attached.server, preset);
        const rules = Array.isArray(preset.rules) ? preset.rules.length : 0;
        lines.push(`Preset "${preset.name}" answers as a mock server: echo ${attached.server.echo ? 'on' : 'off'}, ${plural(rules, 'rule')}, framing ${attached.server.settings.framing.mode}.`);
      } else {
        lines.push(`Started from preset "${preset.name}".`);
      }
    }
    lines.push(`Point the client at ${listenerAddress(listener)}; tcplab_expect with id "${listener.id}" waits for its first client and its bytes.`);
    return { ok: true, text: lines.join('\n') };
  }

  private async connect(input: Input): Promise<ToolOutcome> {
    const target = this.connectTarget(input);
    if (!target.ok) return target;
    if (assessConnectExposure(target.host, target.port).exposed && !this.consumeApproval(`connect ${target.host} ${target.port}`)) {
      return fail(`Not connected: ${formatHostPort(target.host, target.port)} is not on this machine, and connecting there needs the user's confirmation, which this call did not get.`);
    }
    const connection = await this.registry.connect({ host: target.host, port: target.port, timeoutMs: num(input, 'timeoutMs') });
    if (target.preset) {
      this.presetOf.set(connection, target.preset);
      this.host.nameAfterPreset(connection.id, target.preset.name);
    }
    const local = connection.local ? ` from ${formatHostPort(connection.local.address, connection.local.port)}` : '';
    return { ok: true, text: `Connected to ${connectionPeer(connection)}${local} with id ${connection.id}.` };
  }

  // ---- send ---------------------------------------------------------------------------------------

  /** The preset `item` (or, for an accepted client, its listener) was started from. */
  private presetBehind(item: RegistryItem | undefined): Preset | undefined {
    if (!item) return undefined;
    const owner = !isListener(item) && item.listenerId !== undefined ? this.registry.get(item.listenerId) : item;
    return owner ? this.presetOf.get(owner) : undefined;
  }

  private encodingFor(input: Input, item: RegistryItem | undefined): TextEncodingName {
    return (str(input, 'encoding') as TextEncodingName | undefined) ?? this.presetBehind(item)?.encoding ?? this.host.defaultEncoding();
  }

  private payload(input: Input, item: RegistryItem | undefined): ReturnType<typeof parsePayload> {
    const format = (str(input, 'format') ?? 'text') as PayloadFormat;
    const lineEnding = (str(input, 'lineEnding') ?? 'none') as LineEnding;
    return parsePayload(str(input, 'data') ?? '', { format, encoding: this.encodingFor(input, item), lineEnding });
  }

  /** A live item by id, or the sentence saying why there is none. */
  private live(id: string): { ok: true; item: RegistryItem } | { ok: false; error: string } {
    const item = this.registry.getLive(id);
    if (item) return { ok: true, item };
    const kept = this.registry.get(id);
    if (kept) return { ok: false, error: `${id} (${describeItem(kept)}) is closed; open a new one with tcplab_connect or tcplab_listen.` };
    return { ok: false, error: `There is no listener or connection with id "${id}"; tcplab_list shows the ids.` };
  }

  private async send(input: Input): Promise<ToolOutcome> {
    const found = this.live(str(input, 'id') as string);
    if (!found.ok) return found;
    const item = found.item;
    const parsed = this.payload(input, item);
    if (!parsed.ok) return fail(`"data" is not valid ${str(input, 'format') ?? 'text'}: ${parsed.error.message}`);
    const peers = isListener(item) ? item.connections : [item];
    if (peers.some((c) => !isLoopbackPeer(c)) && !this.consumeApproval(`send ${item.id}`)) {
      return fail(`Not sent: ${describeItem(item)} reaches another machine, and sending there needs the user's confirmation, which this call did not get.`);
    }
    const size = plural(parsed.bytes.length, 'byte');
    if (isListener(item)) {
      if (item.connections.length === 0) {
        return fail(`No client is connected to listener ${item.id} (${listenerAddress(item)}), so nothing was sent; wait for one with tcplab_expect, or check tcplab_list.`);
      }
      const clients = item.connections.filter((c) => c.writable);
      await item.broadcast(parsed.bytes);
      return { ok: true, text: `Sent ${size} to each of ${plural(clients.length, 'client')} of listener ${item.id} (${listenerAddress(item)}): ${clients.map((c) => c.id).join(', ')}.` };
    }
    await item.send(parsed.bytes);
    return { ok: true, text: `Sent ${size} to ${connectionPeer(item)} (${item.id}); its log now ends at record #${item.log.lastSeq}.` };
  }

  // ---- expect -------------------------------------------------------------------------------------

  /**
   * The connection an expectation watches: the id's own, or a listener's one client: the open one, else
   * one that already came and went unwatched (a fast client), else the next to connect.
   */
  private async expectTarget(id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ ok: true; connection: Connection; waitedMs: number } | { ok: false; error: string }> {
    const item = this.registry.get(id);
    if (!item) return { ok: false, error: `There is no listener or connection with id "${id}"; tcplab_list shows the ids.` };
    if (!isListener(item)) return { ok: true, connection: item, waitedMs: 0 };
    const open = item.connections;
    if (open.length === 1) return { ok: true, connection: open[0], waitedMs: 0 };
    if (open.length > 1) return { ok: false, error: `Listener ${id} has ${open.length} clients (${open.map((c) => c.id).join(', ')}); give the id of the one to watch.` };
    const unwatched = this.registry.closedConnections(id).filter((c) => !this.expectCursor.has(c));
    if (unwatched.length === 1) return { ok: true, connection: unwatched[0], waitedMs: 0 };
    if (unwatched.length > 1) return { ok: false, error: `Listener ${id} had ${unwatched.length} clients that have closed (${unwatched.map((c) => c.id).join(', ')}); give the id of the one to check.` };
    if (!item.listening) return { ok: false, error: `Listener ${id} is stopped and has no open client; give a connection id from tcplab_list.` };
    const started = Date.now();
    const accepted = await new Promise<Connection | undefined>((resolve) => {
      const finish = (connection: Connection | undefined): void => {
        clearTimeout(timer);
        subscription.dispose();
        signal?.removeEventListener('abort', onAbort);
        resolve(connection);
      };
      const onAbort = (): void => finish(undefined);
      const subscription = item.onDidAccept((connection) => finish(connection));
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort);
    });
    if (!accepted) {
      return { ok: false, error: signal?.aborted ? 'Cancelled while waiting for a client.' : `No client connected to ${listenerAddress(item)} (${id}) within ${timeoutMs} ms; start the client, or wait longer with a larger "timeoutMs".` };
    }
    return { ok: true, connection: accepted, waitedMs: Date.now() - started };
  }

  /** Received bytes not yet consumed by an earlier expectation (or after record `since`), and where they start. */
  private unreadOf(connection: Connection, since: number | undefined): { bytes: Uint8Array; start: number } {
    // A proxy pair's notes are not received bytes (see TrafficRecord.note).
    const records = connection.log.records().filter((record) => record.note === undefined);
    let offset = connection.totals.bytesIn;
    for (const record of records) if (record.dir === 'in') offset -= record.bytes.length;
    const cursor = this.expectCursor.get(connection) ?? 0;
    const parts: Uint8Array[] = [];
    let start: number | undefined;
    for (const record of records) {
      if (record.dir !== 'in') continue;
      const end = offset + record.bytes.length;
      const wanted = since !== undefined ? record.seq > since : end > cursor;
      if (wanted) {
        const skip = since !== undefined ? 0 : Math.max(0, cursor - offset);
        start ??= offset + skip;
        parts.push(record.bytes.subarray(skip));
      }
      offset = end;
    }
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return { bytes, start: start ?? connection.totals.bytesIn };
  }

  private async expect(input: Input, signal: AbortSignal | undefined): Promise<ToolOutcome> {
    const id = str(input, 'id') as string;
    const match = str(input, 'match') as OpenExpectation['match'];
    const value = str(input, 'value');
    const timeoutMs = num(input, 'timeoutMs') ?? DEFAULT_EXPECT_TIMEOUT_MS;
    const expectation: Omit<OpenExpectation, 'framing' | 'encoding'> = { match, timeoutMs, windowMs: timeoutMs };
    const owner = this.registry.get(id);
    const encoding = this.encodingFor(input, owner);
    if (match === 'text' || match === 'hex' || match === 'regex') {
      if (value === undefined || value === '') return fail(`"match": "${match}" needs "value": the ${match === 'regex' ? 'regular expression' : match} to wait for.`);
      if (match === 'regex') {
        const flags = str(input, 'flags') ?? '';
        const problem = regexProblem(value, flags);
        if (problem) return fail(`"value": ${problem}`);
        expectation.regex = new RegExp(value, flags.replace(/[gy]/g, ''));
      } else {
        const parsed = parsePayload(value, { format: match, encoding, lineEnding: 'none' });
        if (!parsed.ok) return fail(`"value" is not valid ${match}: ${parsed.error.message}`);
        expectation.expected = parsed.bytes;
      }
    }
    const framing = this.framingFor(input, owner);
    if (!framing.ok) return framing;

    const target = await this.expectTarget(id, timeoutMs, signal);
    if (!target.ok) return target;
    const { connection } = target;
    const since = num(input, 'since');
    const unread = this.unreadOf(connection, since);
    const started = Date.now();
    let result;
    try {
      result = await expectOnOpenConnection(connection, unread.bytes, { ...expectation, timeoutMs: Math.max(1, timeoutMs - target.waitedMs), framing: framing.framing, encoding }, signal);
    } catch (err) {
      return fail(signal?.aborted ? 'Cancelled while waiting.' : errorMessage(err));
    }
    const consumedTo = Math.min(unread.start + result.consumedBytes, connection.totals.bytesIn);
    this.expectCursor.set(connection, Math.max(this.expectCursor.get(connection) ?? 0, consumedTo));
    const where = `${connection.id} (${connectionPeer(connection)})`;
    const received = result.received;
    const shown = received.length === 0 ? 'nothing' : `${plural(received.length, 'byte')}: ${received.text}${received.hex ? `  [hex ${received.hex}]` : ''}`;
    const elapsed = Date.now() - started + target.waitedMs;
    if (result.status === 'passed') {
      const what = match === 'close' ? 'the peer closed' : match === 'nothing' ? `nothing arrived for ${timeoutMs} ms` : 'matched';
      return { ok: true, text: `Passed on ${where} after ${elapsed} ms: ${what}. ${match === 'close' || match === 'nothing' ? 'Received meanwhile' : 'Matched'} ${shown}.` };
    }
    // A failed expectation consumes nothing, so the same bytes would fail the next one too: say how to skip them.
    const skip = connection.log.lastSeq > 0 ? ` Nothing was consumed; to compare only what arrives later, pass "since": ${connection.log.lastSeq}.` : '';
    return { ok: true, text: `Not matched on ${where} after ${elapsed} ms: ${result.message ?? 'the expectation failed.'} Received instead ${shown}.${skip}` };
  }

  private framingFor(input: Input, owner: RegistryItem | undefined): { ok: true; framing: TcpFraming } | { ok: false; error: string } {
    const text = str(input, 'framing');
    if (text !== undefined) {
      const parsed = parseTcpFraming(text);
      return parsed.ok ? parsed : { ok: false, error: `"framing": ${parsed.error}` };
    }
    const preset = this.presetBehind(owner);
    if (preset?.framing !== undefined) {
      const parsed = presetTcpFraming(preset.framing, preset.name);
      if (parsed.ok) return parsed;
    }
    return { ok: true, framing: NO_TCP_FRAMING };
  }

  // ---- read / list / close ------------------------------------------------------------------------

  private read(input: Input): ToolOutcome {
    const id = str(input, 'id') as string;
    const item = this.registry.get(id);
    if (!item) return fail(`There is no listener or connection with id "${id}"; tcplab_list shows the ids.`);
    if (isListener(item)) {
      const clients = [...item.connections, ...this.registry.closedConnections(id)].map((c) => c.id);
      return fail(clients.length
        ? `${id} is a listener; read one of its connections instead: ${clients.join(', ')}.`
        : `${id} is a listener and no client has connected yet; wait with tcplab_expect, then read the connection it names.`);
    }
    const since = num(input, 'since') ?? 0;
    const maxBytes = num(input, 'maxBytes') ?? DEFAULT_READ_BYTES;
    const format = str(input, 'format') ?? 'text';
    const encoding = this.encodingFor(input, item);
    const log = item.log;
    const kept = log.lastSeq === 0 ? 'no records yet' : log.retained.records === 0 ? 'no records kept' : `records #${log.oldestSeq}–#${log.lastSeq} kept`;
    const lines = [`${describeItem(item)} (${item.id}), ${item.state}; ${kept}, in ${formatBytes(item.totals.bytesIn)} / out ${formatBytes(item.totals.bytesOut)} in all.`];
    if (since + 1 < log.oldestSeq) lines.push(`Records #${since + 1}–#${log.oldestSeq - 1} are no longer kept (the log limits dropped them).`);
    // Record numbers are consecutive in a log, so what follows `since` is read by number.
    const first = Math.max(since + 1, log.oldestSeq);
    let budget = maxBytes;
    let seq = first;
    for (let record = log.recordAt(seq); record && budget > 0; record = log.recordAt(++seq)) {
      const part = record.bytes.subarray(0, budget);
      budget -= part.length;
      const data = format === 'hex' ? toHex(part) : renderVisible(part, encoding);
      const cut = part.length < record.bytes.length ? ` … ${record.bytes.length - part.length} more bytes not shown` : '';
      // A proxy pair's marks say what a fault did to these bytes, or that the line is a note, not traffic.
      const marks = `${record.note !== undefined ? ` [note: ${record.note}]` : ''}${record.fault !== undefined ? ` [${record.fault}]` : ''}`;
      lines.push(`#${record.seq} ${timeOfDay(record.time)} ${record.dir}${marks} ${plural(record.bytes.length, 'byte')}: ${data}${cut}`);
    }
    if (seq === first) lines.push(`No records after #${since}.`);
    let restRecords = 0;
    let restBytes = 0;
    for (let record = log.recordAt(seq); record; record = log.recordAt(seq + ++restRecords)) restBytes += record.bytes.length;
    if (restRecords > 0) {
      lines.push(`${plural(restRecords, 'more record')} (${restBytes} more bytes) not shown; read again with "since": ${seq - 1}.`);
    }
    return { ok: true, text: lines.join('\n') };
  }

  private list(): ToolOutcome {
    const snapshot = this.registry.snapshot();
    const lines: string[] = [];
    const totals = (t: { bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number }): string =>
      `in ${formatBytes(t.bytesIn)} (${plural(t.messagesIn, 'chunk')}), out ${formatBytes(t.bytesOut)} (${plural(t.messagesOut, 'send')})`;
    for (const l of snapshot.listeners) {
      const where = l.address ? formatHostPort(l.address.address, l.address.port) : formatHostPort(l.host, l.requestedPort);
      const state = l.listening ? 'listening' : 'stopped';
      const clients = l.connectionIds.length ? `open clients ${l.connectionIds.join(', ')}` : 'no open client';
      lines.push(`${l.id} listener ${where}, ${state}, ${clients}, ${l.acceptedCount} accepted, ${totals(l.totals)}`);
    }
    for (const c of snapshot.connections) {
      const peer = c.remote ? formatHostPort(c.remote.address, c.remote.port) : '?';
      const role = c.role === 'client' ? `connection to ${peer}` : `client ${peer} of ${c.listenerId ?? 'a listener'}`;
      const closed = c.state === 'closed' ? ` (${c.closeReason ?? 'closed'})` : '';
      const item = this.registry.get(c.id);
      const last = item && !isListener(item) ? `, last record #${item.log.lastSeq}` : '';
      lines.push(`${c.id} ${role}, ${c.state}${closed}, ${totals(c.totals)}${last}`);
    }
    if (lines.length === 0) return { ok: true, text: 'Nothing is open or remembered: start one with tcplab_listen or tcplab_connect.' };
    return { ok: true, text: lines.join('\n') };
  }

  private async close(input: Input): Promise<ToolOutcome> {
    const id = str(input, 'id') as string;
    const item = this.registry.get(id);
    if (!item) return fail(`There is no listener or connection with id "${id}"; tcplab_list shows the ids.`);
    if (isListener(item)) {
      if (!item.listening) return { ok: true, text: `Listener ${id} (${listenerAddress(item)}) was already stopped.` };
      const clients = item.connections.length;
      await item.stop({ closeConnections: true });
      return { ok: true, text: `Stopped listener ${id} (${listenerAddress(item)}) and closed ${plural(clients, 'client')}; its record stays in the history.` };
    }
    if (item.state === 'closed') return { ok: true, text: `${id} (${describeItem(item)}) was already closed.` };
    item.destroy();
    await item.waitForClose();
    return { ok: true, text: `Closed ${id} (${describeItem(item)}); its log stays readable with tcplab_read.` };
  }

  // ---- .tcp files ---------------------------------------------------------------------------------

  private blockExposure(prepared: PreparedBlock): BindExposure {
    return prepared.kind === 'listen' ? assessBindExposure(prepared.host, prepared.port) : assessConnectExposure(prepared.host, prepared.port);
  }

  private blockKey(prepared: PreparedBlock): string {
    return `run ${prepared.kind} ${prepared.host} ${prepared.port}`;
  }

  private async planRun(input: Input): Promise<RunPlan> {
    const loaded = await this.host.loadTcpFile(str(input, 'path') as string);
    if (!loaded.ok) return loaded;
    const { file, environments, selectedEnvironment } = loaded.loaded;
    const environmentName = str(input, 'environment') ?? selectedEnvironment;
    if (environmentName !== undefined && !(environmentName in environments)) {
      const names = Object.keys(environments).filter((n) => n !== '$shared');
      return { ok: false, error: `There is no environment "${environmentName}" in tcpLab.environments; ${names.length ? `use one of ${names.map((n) => `"${n}"`).join(', ')}` : 'none is defined'}.` };
    }
    const environment = environmentVariables(environments, environmentName);
    const blockName = str(input, 'block');
    const blocks = blockName === undefined ? file.blocks : file.blocks.filter((b) => b.name === blockName);
    if (blocks.length === 0) {
      const names = file.blocks.map((b) => `'${b.name}'`);
      return { ok: false, error: blockName === undefined ? `${loaded.loaded.displayPath} has no blocks (a block starts with ###).` : `${loaded.loaded.displayPath} has no block named '${blockName}'; its blocks: ${names.join(', ')}.` };
    }
    const planned = [];
    for (const block of blocks) {
      const preparation = await prepareBlock(file, block, { ...loaded.loaded.options, environment });
      planned.push(preparation.ok ? { block, prepared: preparation.block } : { block, error: preparation.error });
    }
    return { ok: true, loaded: loaded.loaded, blocks: planned, environment };
  }

  private async runTcpFile(input: Input, signal: AbortSignal | undefined): Promise<ToolOutcome> {
    const plan = await this.planRun(input);
    if (!plan.ok) return plan;
    const { file, options, displayPath } = plan.loaded;
    const lines: string[] = [];
    let passed = 0;
    let failed = 0;
    for (const { block } of plan.blocks) {
      if (signal?.aborted) break;
      const result = await runBlock(file, block, {
        ...options,
        environment: plan.environment,
        sockets: registrySockets(this.registry),
        signal,
        // What the user confirmed is what was planned: a target the file gained since is refused.
        confirm: (prepared) => {
          if (!this.blockExposure(prepared).exposed || this.consumeApproval(this.blockKey(prepared))) return Promise.resolve(undefined);
          return Promise.resolve(`Not run: it would ${prepared.kind === 'listen' ? 'listen on' : 'connect to'} ${formatHostPort(prepared.host, prepared.port)}, which is not on this machine and was not confirmed; invoke the tool again to ask the user.`);
        },
      });
      if (result.status === 'passed') passed++;
      else failed++;
      lines.push(...formatBlockResult(result, ''));
      const detail = [`sent ${plural(result.bytesSent, 'byte')}`, `received ${plural(result.received.length, 'byte')}`];
      if (result.connectionId) detail.push(`connection ${result.connectionId}`);
      lines.push(`    ${detail.join(', ')}`);
    }
    lines.unshift(`${displayPath}: ${passed} passed, ${failed} failed${signal?.aborted ? ' (cancelled)' : ''}.`);
    return { ok: true, text: lines.join('\n') };
  }
}
