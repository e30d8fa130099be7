// Checks every message a webview posts before the host acts on it. A webview is the least trusted
// part of the extension (it renders peer bytes), so nothing it sends is taken on faith: type,
// field types, sizes and ids are verified, and anything else is refused with a reason to log.
// No `vscode` import, so mocha tests it directly.
import { FROM_WEBVIEW_TYPES, PROTOCOL_LIMITS, type FromWebviewMessage, type SendMessage } from '../shared/protocol';
import { LINE_ENDINGS, PAYLOAD_FORMATS, TEXT_ENCODINGS } from '../shared/payloadTypes';

export type ValidationResult = { ok: true; message: FromWebviewMessage } | { ok: false; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TARGET_ID = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

type Fields = Record<string, unknown>;

function refuse(reason: string): ValidationResult {
  return { ok: false, reason };
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function boundedString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function hostAndPort(raw: Fields): string | undefined {
  if (!boundedString(raw.host, PROTOCOL_LIMITS.maxHostChars) || raw.host.trim() === '') return 'host must be a non-empty string of at most 255 characters';
  if (typeof raw.port !== 'number' || !Number.isInteger(raw.port) || raw.port < 0 || raw.port > 65535) return 'port must be an integer from 0 to 65535';
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
  const needsRequestId = !['ready', 'clear', 'copy'].includes(type);
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
      return { ok: true, message: { type, requestId, host: (fields.host as string).trim(), port: fields.port as number } };
    }
    case 'send': {
      if (!boundedString(fields.data, PROTOCOL_LIMITS.maxSendBase64)) return refuse('send: data must be a base64 string of at most 16 MiB');
      if (fields.data.length % 4 !== 0 || !BASE64.test(fields.data)) return refuse('send: data is not valid base64');
      if (fields.to !== undefined && (typeof fields.to !== 'string' || (fields.to !== 'all' && !TARGET_ID.test(fields.to)))) {
        return refuse('send: to must be a client id or "all"');
      }
      const message: SendMessage = { type, requestId, data: fields.data };
      if (fields.to !== undefined) message.to = fields.to as string;
      return { ok: true, message };
    }
    case 'close':
      return { ok: true, message: { type, requestId } };
    case 'saveLog':
      if (fields.format !== 'jsonl' && fields.format !== 'csv') return refuse('saveLog: format must be "jsonl" or "csv"');
      return { ok: true, message: { type, requestId, format: fields.format } };
    case 'copy':
      if (!boundedString(fields.text, PROTOCOL_LIMITS.maxCopyChars)) return refuse('copy: text must be a string of at most 32 Mi characters');
      return { ok: true, message: { type, text: fields.text } };
    case 'savePreset': {
      if (!(PAYLOAD_FORMATS as readonly unknown[]).includes(fields.format)) return refuse('savePreset: format must be text, hex or base64');
      if (!boundedString(fields.data, PROTOCOL_LIMITS.maxPresetDataChars)) return refuse('savePreset: data must be a string of at most 1 Mi characters');
      if (!(TEXT_ENCODINGS as readonly unknown[]).includes(fields.encoding)) return refuse('savePreset: unknown encoding');
      if (!(LINE_ENDINGS as readonly unknown[]).includes(fields.lineEnding)) return refuse('savePreset: unknown line ending');
      return {
        ok: true,
        message: {
          type,
          requestId,
          format: fields.format as never,
          data: fields.data,
          encoding: fields.encoding as never,
          lineEnding: fields.lineEnding as never,
        },
      };
    }
  }
  return refuse(`unhandled message type ${type}`);
}
