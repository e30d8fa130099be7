// What "Export as pcapng" exports: a connection, a listener's clients (live and closed, one TCP
// stream each) or a capture file, described from what the registry knows, without VS Code. The
// editor commands and the CLI both go through here.
import { basename } from 'node:path';
import { Connection } from '../core/connection';
import { TcpError } from '../core/errors';
import { Listener } from '../core/listener';
import { writeCaptureFile, writeConnections, writePcapngFile, type ExportConnection, type ExportSummary, type FileConversionOptions } from '../core/pcapExport';
import { closeKindOf } from '../core/pcapng';
import type { Registry } from '../core/registry';
import type { CloseReason } from '../core/types';
import { parseCaptureFileName } from './captureFiles';

/** A connection with its retained records; throws when it never had both endpoints (it never connected). */
export function exportConnectionOf(connection: Connection): ExportConnection {
  const { local, remote } = connection;
  if (!local || !remote) {
    throw new TcpError('PCAP_NO_ENDPOINTS', `${connection.id} never connected, so it has no traffic to export; pick a connection that opened.`);
  }
  // A proxy pair's notes (and the bytes a fault kept off the socket) were never on this wire.
  // Written across awaits while the connection may still be receiving: bytes the log reuses are copied.
  const records = connection.log.records().filter((record) => record.note === undefined).map((record) => connection.log.stableRecord(record));
  // What the log dropped (its limits, or Clear) all came before the oldest record it keeps.
  let retainedIn = 0;
  let retainedOut = 0;
  for (const record of records) {
    if (record.dir === 'in') retainedIn += record.bytes.byteLength;
    else retainedOut += record.bytes.byteLength;
  }
  const totals = connection.totals;
  const closed = connection.state === 'closed' && connection.closeReason !== undefined;
  return {
    id: connection.id,
    endpoints: { local, remote, localOpened: connection.role === 'client' },
    openedAt: connection.openedAt,
    ...(connection.closedAt !== undefined ? { closedAt: connection.closedAt } : {}),
    ...(closed ? { close: closeKindOf(connection.closeReason as CloseReason, connection.closeError !== undefined) } : {}),
    records,
    missing: { in: Math.max(0, totals.bytesIn - retainedIn), out: Math.max(0, totals.bytesOut - retainedOut) },
  };
}

/** The connections behind a tree item or panel: the connection itself, or every client a listener still remembers, oldest first. */
export function exportConnectionsFor(registry: Registry, targetId: string): ExportConnection[] {
  const item = registry.get(targetId);
  if (!item) throw new TcpError('PCAP_UNKNOWN_TARGET', `TCP Lab no longer keeps "${targetId}" (it left the history); pick another one from the Connections view.`);
  if (item instanceof Connection) return [exportConnectionOf(item)];
  const listener = item as Listener;
  const clients = [...registry.closedConnections(listener.id), ...registry.connections().filter((c) => c.listenerId === listener.id)];
  const exported = clients.filter((c) => c.local && c.remote).map(exportConnectionOf);
  if (exported.length === 0) {
    throw new TcpError('PCAP_NOTHING', `No client of ${listener.id} is left to export; connect a client, or raise tcpLab.history.maxClosed so closed clients are kept.`);
  }
  return exported.sort((a, b) => a.openedAt - b.openedAt);
}

/**
 * What a capture file does not say, from the connection that wrote it when TCP Lab still knows
 * it (same id and peer, and open when the capture started): its local end, who opened it and how
 * it closed. Otherwise only the peer its name keeps, if it keeps one.
 */
export function captureFileOptions(registry: Registry | undefined, file: string): FileConversionOptions {
  const info = parseCaptureFileName(basename(file));
  if (!info) return {};
  const connection = registry?.get(info.connectionId);
  const sameConnection =
    connection instanceof Connection &&
    connection.remote !== undefined &&
    connection.local !== undefined &&
    (info.remote === undefined || (connection.remote.port === info.remote.port && connection.remote.address === info.remote.address)) &&
    // The name has whole seconds: the capture began within a second of the stamp.
    connection.openedAt <= info.started.getTime() + 1000 &&
    (connection.closedAt ?? Infinity) >= info.started.getTime() - 1000;
  if (!sameConnection) return info.remote ? { remote: info.remote } : {};
  const options: FileConversionOptions = {
    local: connection.local,
    remote: connection.remote,
    localOpened: connection.role === 'client',
    openedAt: connection.openedAt,
  };
  if (connection.state === 'closed' && connection.closeReason !== undefined) {
    options.closedAt = connection.closedAt;
    options.close = closeKindOf(connection.closeReason, connection.closeError !== undefined);
  }
  return options;
}

/** Writes a target (connection or listener) to `file`. */
export function exportTargetToPcapng(registry: Registry, targetId: string, file: string): Promise<ExportSummary> {
  const connections = exportConnectionsFor(registry, targetId);
  return writePcapngFile(file, { comment: `TCP Lab export of ${targetId}: TCP/IP headers synthesized from the traffic log` }, (writer) => writeConnections(writer, connections));
}

/** Converts a capture file (or a saved JSON Lines log) to `file`. */
export function convertCaptureToPcapng(capture: string, file: string, options: FileConversionOptions): Promise<ExportSummary> {
  const placeholder = options.local === undefined ? '; TCP Lab\'s own address and port are placeholders (the file does not record them)' : '';
  return writePcapngFile(file, { comment: `TCP Lab capture ${basename(capture)} converted: TCP/IP headers synthesized${placeholder}` }, (writer) => writeCaptureFile(writer, capture, options));
}

/** One sentence for the user about a finished export. */
export function describeExport(summary: ExportSummary, file: string): string {
  const streams = `${summary.connections} TCP stream${summary.connections === 1 ? '' : 's'}`;
  const records = `${summary.records} record${summary.records === 1 ? '' : 's'}`;
  const gap =
    summary.missingBytes > 0
      ? ` The log had already dropped ${summary.missingBytes} older bytes; Wireshark shows them as a gap ("previous segment not captured"). Capture to a file to keep every byte.`
      : '';
  return `Exported ${records} as ${streams} (${summary.packets} packets) to ${file}.${gap}`;
}
