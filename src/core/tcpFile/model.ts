// The parsed shape of a `*.tcp` file: what the parser produces and the runner, the CLI and the
// VS Code adapters consume. Positions are 0-based lines and columns (end exclusive), as VS Code counts.
import type { ResolvedChecksum } from '../../shared/checksum';
import type { LineEnding, TextEncodingName } from '../../shared/payloadTypes';
import type { TlsOptions } from '../../shared/tls';
import type { TcpFraming } from './framing';

export interface TcpRange {
  line: number;
  startCol: number;
  endCol: number;
}

export type TcpSeverity = 'error' | 'warning';

export interface TcpDiagnostic extends TcpRange {
  severity: TcpSeverity;
  message: string;
}


/** One source line's contribution to a (possibly multi-line) payload body. */
export interface BodySegment {
  /** Offset of this segment's first character in the joined body. */
  offset: number;
  line: number;
  col: number;
  length: number;
}

/** A payload body joined from its first line and indented continuation lines, with a map back to the source. */
export interface PayloadBody {
  text: string;
  segments: BodySegment[];
}

export type TcpTarget =
  | { kind: 'connect'; address: string; range: TcpRange }
  | { kind: 'listen'; address: string; range: TcpRange }
  | { kind: 'preset'; name: string; range: TcpRange };

export type SendFormat = 'text' | 'hex' | 'base64';

export type SendStep =
  | { kind: 'send'; format: SendFormat; body: PayloadBody; range: TcpRange; /** `CHECKSUM …` at the end of the SEND line. */ checksum?: ResolvedChecksum }
  | { kind: 'sendFile'; path: string; range: TcpRange }
  /** STARTTLS: upgrade the plain connection to TLS here, with the block's TLS-* options. */
  | { kind: 'startTls'; range: TcpRange };

export type ExpectKind = 'text' | 'hex' | 'regex' | 'close' | 'nothing' | 'tls';

/** What `EXPECT tls <field> <value>` compares with the session. */
export const TLS_EXPECT_FIELDS = ['alpn', 'version', 'peer-name', 'cipher', 'verified'] as const;
export type TlsExpectField = (typeof TLS_EXPECT_FIELDS)[number];

export interface ExpectStep {
  kind: 'expect';
  match: ExpectKind;
  /** The expected text/hex, or the regex source; empty for `close` and `nothing`. */
  body: PayloadBody;
  /** Flags of a `/pattern/flags` regex. */
  flags: string;
  /** `within <duration>`: overrides the block's TIMEOUT for this expectation. */
  timeoutMs?: number;
  /** `nothing <duration>`: how long silence must last. */
  windowMs?: number;
  /** `tls <field> <value>`: the session property compared (the value is in `body`). */
  tlsField?: TlsExpectField;
  range: TcpRange;
}

export type TcpStep = SendStep | ExpectStep;

export interface BlockOptions {
  encoding?: TextEncodingName;
  lineEnding?: LineEnding;
  /** How received bytes are cut into the units an expectation is compared with (see ./framing.ts). */
  framing?: TcpFraming;
  timeoutMs?: number;
  /** TLS-SERVERNAME, TLS-ALPN, TLS-CA, …: for a tls:// target and for STARTTLS. */
  tls?: TlsOptions;
}

export interface TcpBlock {
  /** 0-based position among the file's blocks. */
  index: number;
  /** The text after `###`, or `Block N` when there is none. */
  name: string;
  /** The `###` line, or the block's first line when the file starts without a separator. */
  headerLine: number;
  startLine: number;
  endLine: number;
  target?: TcpTarget;
  options: BlockOptions;
  steps: TcpStep[];
  /** True when the parser found an error inside this block: it must not run. */
  hasErrors: boolean;
}

export interface FileVariable {
  name: string;
  value: string;
  range: TcpRange;
}

export interface TcpFile {
  variables: ReadonlyMap<string, FileVariable>;
  blocks: TcpBlock[];
  diagnostics: TcpDiagnostic[];
}

export function blockHasExpectations(block: TcpBlock): boolean {
  return block.steps.some((step) => step.kind === 'expect');
}
