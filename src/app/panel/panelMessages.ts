// Checks every message a webview posts before the host acts on it. A webview is the least trusted
// part of the extension (it renders peer bytes), so nothing it sends is taken on faith: type,
// field types, sizes and ids are verified, and anything else is refused with a reason to log.
// No `vscode` import, so mocha tests it directly.
import { FROM_WEBVIEW_TYPES, PROTOCOL_LIMITS, type ConnectMessage, type FromWebviewMessage, type RequestMessage, type SendMessage } from '../../shared/protocol';
import { LINE_ENDINGS, PAYLOAD_FORMATS, TEXT_ENCODINGS } from '../../shared/payloadTypes';
import { FAULT_KEYS, validateFaultOptions, validateRepeatOptions } from '../../shared/faultPlan';
import { isPortNumber } from '../../shared/hostPort';
import { FRAMING_KEYS } from '../../shared/framing';
import { findCatastrophicShape, RULE_KEYS } from '../../shared/ruleDefinition';
import { CHECKSUM_KEYS, validateChecksum } from '../../shared/checksum';
import { TOXIC_STREAMS, type ToxicDefinition, type ToxicStream } from '../../shared/toxics';
import { keyList } from '../../shared/keyList';
import { MAX_SEQUENCE_STEPS, MAX_STEP_WAIT_MS, type SequenceWireStep } from '../../shared/quickSend';

export type ValidationResult = { ok: true; message: FromWebviewMessage } | { ok: false; reason: string };

/** The messages that expect no reply, as a record so that every message type is placed on one side. */
const WITHOUT_REPLY: Record<Exclude<FromWebviewMessage['type'], RequestMessage['type']>, true> = { ready: true, clear: true, copy: true, follow: true, computeChecksum: true };
const NO_REQUEST_ID = Object.keys(WITHOUT_REPLY);

/** A toxic's own keys (Toxiproxy's plus `seed` and `when`); anything else a webview adds is dropped. */
const TOXIC_KEYS = keyList<ToxicDefinition>()(['name', 'type', 'stream', 'toxicity', 'attributes', 'seed', 'when']);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TARGET_ID = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

type Fields = Record<string, unknown>;

function pick(fields: Fields, keys: readonly string[]): Fields {
  return Object.fromEntries(keys.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]]));
}

function refuse(reason: string): ValidationResult {
  return { ok: false, reason };
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isRowId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function boundedString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function hostAndPort(raw: Fields): string | undefined {
  if (!boundedString(raw.host, PROTOCOL_LIMITS.maxHostChars) || raw.host.trim() === '') return 'host must be a non-empty string of at most 255 characters';
  if (!isPortNumber(raw.port, { allowZeroPort: true })) return 'port must be an integer from 0 to 65535';
  return undefined;
}

/** Returns the message typed, or why it was refused. Extra fields are dropped, never passed on. */
export function validateWebviewMessage(raw: unknown): ValidationResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse('message is not an object');
  const fields = raw as Fields;
  const type = fields.type;
  if (typeof type !== 'string' || !(FROM_WEBVIEW_TYPES as readonly string[]).includes(type)) {
    return refuse(`unknown message type ${JSON.stringify(String(type)).slice(0, 40)}`);
  }
  const needsRequestId = !(NO_REQUEST_ID as readonly string[]).includes(type);
  if (needsRequestId && !isRequestId(fields.requestId)) return refuse(`${type}: requestId must be a positive integer`);
  const requestId = fields.requestId as number;

  switch (type) {
    case 'ready':
      return { ok: true, message: { type } };
    case 'clear':
      return { ok: true, message: { type } };
    case 'listen':
    case 'connect': {
      const problem = hostAndPort(fields);
      if (problem) return refuse(`${type}: ${problem}`);
      const base = { requestId, host: (fields.host as string).trim(), port: fields.port as number };
      if (type === 'listen') {
        if (fields.tls !== undefined && typeof fields.tls !== 'boolean') return refuse('listen: tls must be true or false');
        return { ok: true, message: fields.tls === true ? { type, ...base, tls: true } : { type, ...base } };
      }
      if (fields.tls === undefined) return { ok: true, message: { type, ...base } };
      const tls = fields.tls as Fields;
      if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) return refuse('connect: tls must be an object');
      if (tls.insecure !== undefined && typeof tls.insecure !== 'boolean') return refuse('connect: tls.insecure must be true or false');
      if (tls.serverName !== undefined && !boundedString(tls.serverName, PROTOCOL_LIMITS.maxHostChars)) return refuse('connect: tls.serverName must be a string of at most 255 characters');
      const checked: NonNullable<ConnectMessage['tls']> = {};
      if (typeof tls.serverName === 'string' && tls.serverName.trim() !== '') checked.serverName = tls.serverName.trim();
      if (tls.insecure === true) checked.insecure = true;
      return { ok: true, message: { type, ...base, tls: checked } };
    }
    case 'startProxy': {
      const problem = hostAndPort(fields);
      if (problem) return refuse(`startProxy: ${problem}`);
      if (!boundedString(fields.upstream, PROTOCOL_LIMITS.maxHostChars + 8) || fields.upstream.trim() === '') return refuse('startProxy: upstream must be a non-empty host:port');
      return { ok: true, message: { type, requestId, host: (fields.host as string).trim(), port: fields.port as number, upstream: fields.upstream.trim() } };
    }
    case 'toxic': {
      const toxic = fields.toxic;
      if (typeof toxic !== 'object' || toxic === null || Array.isArray(toxic)) return refuse('toxic: toxic must be an object');
      if (fields.replaces !== undefined && !boundedString(fields.replaces, PROTOCOL_LIMITS.maxNameChars)) return refuse('toxic: replaces must be a fault name');
      // Only a toxic's own keys go on: the engine validates the values, in one sentence each.
      const copy = pick(toxic as Fields, TOXIC_KEYS);
      if (JSON.stringify(copy).length > PROTOCOL_LIMITS.maxBehaviourChars) return refuse('toxic: the definition is larger than 512 KiB');
      return { ok: true, message: { type, requestId, toxic: copy, ...(fields.replaces !== undefined ? { replaces: fields.replaces as string } : {}) } };
    }
    case 'removeToxic':
      if (!boundedString(fields.name, PROTOCOL_LIMITS.maxNameChars) || fields.name === '') return refuse('removeToxic: name must be a fault name');
      return { ok: true, message: { type, requestId, name: fields.name } };
    case 'send': {
      if (!boundedString(fields.data, PROTOCOL_LIMITS.maxSendBase64)) return refuse('send: data must be a base64 string of at most 16 MiB');
      if (fields.data.length % 4 !== 0 || !BASE64.test(fields.data)) return refuse('send: data is not valid base64');
      if (fields.to !== undefined && (typeof fields.to !== 'string' || (fields.to !== 'all' && !TARGET_ID.test(fields.to)))) {
        return refuse('send: to must be a client id or "all"');
      }
      const message: SendMessage = { type, requestId, data: fields.data };
      if (fields.to !== undefined) message.to = fields.to as string;
      if (fields.faults !== undefined) {
        const faults = validateFaultOptions(fields.faults, 'send.faults');
        if (!faults.ok) return refuse(faults.error);
        message.faults = pick(fields.faults as Fields, FAULT_KEYS);
      }
      if (fields.copies !== undefined) {
        if (typeof fields.copies !== 'number' || !Number.isInteger(fields.copies) || fields.copies < 1 || fields.copies > PROTOCOL_LIMITS.maxCopies) {
          return refuse(`send: copies must be a whole number from 1 to ${PROTOCOL_LIMITS.maxCopies}`);
        }
        message.copies = fields.copies;
      }
      if (fields.stream !== undefined) {
        if (!(TOXIC_STREAMS as readonly unknown[]).includes(fields.stream)) return refuse('send: stream must be "upstream" or "downstream"');
        message.stream = fields.stream as ToxicStream;
      }
      if (fields.repeat !== undefined) {
        const repeat = validateRepeatOptions(fields.repeat, 'send.repeat');
        if (!repeat.ok) return refuse(repeat.error);
        message.repeat = repeat.options;
      }
      return { ok: true, message };
    }
    case 'computeChecksum': {
      if (!boundedString(fields.source, PROTOCOL_LIMITS.maxNameChars)) return refuse('computeChecksum: source must be a short string');
      if (fields.data !== undefined) {
        if (!boundedString(fields.data, PROTOCOL_LIMITS.maxSendBase64) || !isBase64(fields.data)) return refuse('computeChecksum: data must be base64 of at most 16 MiB');
        return { ok: true, message: { type, data: fields.data, source: fields.source } };
      }
      if (!boundedString(fields.text, PROTOCOL_LIMITS.maxCopyChars) || fields.text === '') return refuse('computeChecksum: give data or a non-empty text');
      return { ok: true, message: { type, text: fields.text, source: fields.source } };
    }
    case 'sendSequence': {
      if (fields.to !== undefined && (typeof fields.to !== 'string' || (fields.to !== 'all' && !TARGET_ID.test(fields.to)))) {
        return refuse('sendSequence: to must be a client id or "all"');
      }
      if (!(TEXT_ENCODINGS as readonly unknown[]).includes(fields.encoding)) return refuse('sendSequence: unknown encoding');
      if (!Array.isArray(fields.steps) || fields.steps.length === 0 || fields.steps.length > MAX_SEQUENCE_STEPS) {
        return refuse(`sendSequence: steps must be a list of 1 to ${MAX_SEQUENCE_STEPS} steps`);
      }
      const steps: SequenceWireStep[] = [];
      let base64Chars = 0;
      for (const raw of fields.steps as unknown[]) {
        const step = sequenceStep(raw);
        if (typeof step === 'string') return refuse(`sendSequence: ${step}`);
        if ('data' in step) base64Chars += step.data.length;
        steps.push(step);
      }
      if (base64Chars > PROTOCOL_LIMITS.maxSendBase64) return refuse('sendSequence: the steps carry more than 16 MiB');
      return { ok: true, message: { type, requestId, steps, encoding: fields.encoding as never, ...(fields.to !== undefined ? { to: fields.to as string } : {}) } };
    }
    case 'behaviour': {
      const behaviour = fields.behaviour;
      if (typeof behaviour !== 'object' || behaviour === null || Array.isArray(behaviour)) return refuse('behaviour: behaviour must be an object');
      const b = behaviour as Fields;
      if (typeof b.framing !== 'object' || b.framing === null || Array.isArray(b.framing)) return refuse('behaviour: framing must be an object');
      if (typeof b.echo !== 'boolean') return refuse('behaviour: echo must be true or false');
      if (!Array.isArray(b.rules) || !b.rules.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) return refuse('behaviour: rules must be a list of objects');
      // Only the keys a preset knows are kept: this definition may be written into settings.json.
      const copy = { framing: pick(b.framing as Fields, FRAMING_KEYS), echo: b.echo, rules: (b.rules as Fields[]).map((rule) => pick(rule, RULE_KEYS)) };
      if (JSON.stringify(copy).length > PROTOCOL_LIMITS.maxBehaviourChars) return refuse('behaviour: the definition is larger than 512 KiB');
      return { ok: true, message: { type, requestId, behaviour: copy } };
    }
    case 'follow': {
      if (typeof fields.following !== 'boolean') return refuse('follow: following must be true or false');
      if (!isRowId(fields.lastId)) return refuse('follow: lastId must be a row id (0 or more)');
      if (!isRowId(fields.rows) || fields.rows < 1) return refuse('follow: rows must be a positive integer');
      return { ok: true, message: { type, following: fields.following, lastId: fields.lastId, rows: fields.rows } };
    }
    case 'rows': {
      const before = fields.before;
      const after = fields.after;
      if ((before === undefined) === (after === undefined)) return refuse('rows: give exactly one of before and after');
      if ((before !== undefined && !isRowId(before)) || (after !== undefined && !isRowId(after))) return refuse('rows: before/after must be a row id (0 or more)');
      if (!isRowId(fields.max) || fields.max < 1) return refuse('rows: max must be a positive integer');
      return { ok: true, message: { type, requestId, ...(before !== undefined ? { before: before as number } : { after: after as number }), max: fields.max } };
    }
    case 'record':
      if (!isRowId(fields.id)) return refuse('record: id must be a row id');
      return { ok: true, message: { type, requestId, id: fields.id } };
    case 'saveBehaviour':
    case 'stopRepeat':
    case 'exportPcapng':
      return { ok: true, message: { type, requestId } };
    case 'close':
    case 'startTls':
      return { ok: true, message: { type, requestId } };
    case 'saveLog':
      if (fields.format !== 'jsonl' && fields.format !== 'csv') return refuse('saveLog: format must be "jsonl" or "csv"');
      if (fields.encoding !== undefined && !(TEXT_ENCODINGS as readonly unknown[]).includes(fields.encoding)) return refuse('saveLog: unknown encoding');
      return { ok: true, message: { type, requestId, format: fields.format, ...(fields.encoding !== undefined ? { encoding: fields.encoding as never } : {}) } };
    case 'copy':
      if (!boundedString(fields.text, PROTOCOL_LIMITS.maxCopyChars)) return refuse('copy: text must be a string of at most 32 Mi characters');
      return { ok: true, message: { type, text: fields.text } };
    case 'savePreset': {
      if (!(PAYLOAD_FORMATS as readonly unknown[]).includes(fields.format)) return refuse('savePreset: format must be text, hex or base64');
      if (!boundedString(fields.data, PROTOCOL_LIMITS.maxPresetDataChars)) return refuse('savePreset: data must be a string of at most 1 Mi characters');
      if (!(TEXT_ENCODINGS as readonly unknown[]).includes(fields.encoding)) return refuse('savePreset: unknown encoding');
      if (!(LINE_ENDINGS as readonly unknown[]).includes(fields.lineEnding)) return refuse('savePreset: unknown line ending');
      let checksum: Fields | undefined;
      if (fields.checksum !== undefined) {
        const checked = validateChecksum(fields.checksum, 'savePreset.checksum');
        if (!checked.ok || typeof fields.checksum !== 'object') return refuse(checked.ok ? 'savePreset: checksum must be an object' : checked.error);
        // Only the keys a preset knows are kept: this definition is written into settings.json.
        checksum = pick(fields.checksum as Fields, CHECKSUM_KEYS);
      }
      return {
        ok: true,
        message: {
          type,
          requestId,
          format: fields.format as never,
          data: fields.data,
          encoding: fields.encoding as never,
          lineEnding: fields.lineEnding as never,
          ...(checksum ? { checksum: checksum as never } : {}),
        },
      };
    }
  }
  return refuse(`unhandled message type ${type}`);
}

function isWait(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_STEP_WAIT_MS;
}

function isBase64(value: unknown): value is string {
  return typeof value === 'string' && value.length % 4 === 0 && BASE64.test(value);
}

/** One resolved step of a quick-send sequence, or why it is refused. */
function sequenceStep(raw: unknown): SequenceWireStep | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'each step must be an object';
  const step = raw as Fields;
  switch (step.kind) {
    case 'send':
      if (!isBase64(step.data) || step.data === '') return 'a send step needs non-empty base64 data';
      return { kind: 'send', data: step.data };
    case 'delay':
      if (!isWait(step.ms)) return `a delay must be 0 to ${MAX_STEP_WAIT_MS} ms`;
      return { kind: 'delay', ms: step.ms };
    case 'expect': {
      if (!isWait(step.withinMs)) return `an expectation must wait 0 to ${MAX_STEP_WAIT_MS} ms`;
      if (!boundedString(step.label, PROTOCOL_LIMITS.maxNameChars)) return 'an expectation needs a short label';
      if (step.match === 'bytes') {
        if (!isBase64(step.data) || step.data === '') return 'a bytes expectation needs non-empty base64 data';
        return { kind: 'expect', match: 'bytes', data: step.data, withinMs: step.withinMs, label: step.label };
      }
      if (step.match !== 'regex' || !boundedString(step.pattern, 2000) || step.pattern === '') return 'an expectation must match bytes or a regex of at most 2000 characters';
      // The host runs this pattern over peer bytes: the same refusal of exponential shapes as the rules.
      if (findCatastrophicShape(step.pattern)) return 'the expectation\'s regex can take exponential time';
      try {
        new RegExp(step.pattern);
      } catch {
        return 'the expectation\'s regex does not compile';
      }
      return { kind: 'expect', match: 'regex', pattern: step.pattern, withinMs: step.withinMs, label: step.label };
    }
    default:
      return 'a step kind must be send, expect or delay';
  }
}
