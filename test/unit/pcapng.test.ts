// pcapng export, judged by the real reader: every file goes through tshark (Debian's package), which
// must read it without complaint, follow each TCP stream back to the exact bytes of each direction,
// find every checksum good and run its Modbus/TCP dissector on a Modbus exchange.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as fc from 'fast-check';
import { captureFileName, parseCaptureFileName } from '../../src/app/captureFiles';
import { toJsonLines } from '../../src/app/logExport';
import { captureFileOptions, convertCaptureToPcapng, describeExport, exportTargetToPcapng } from '../../src/app/pcapExport';
import type { Connection } from '../../src/core/connection';
import { writeConnections, type ExportConnection } from '../../src/core/pcapExport';
import { closeKindOf, internetChecksum, ipBytes, PcapngWriter } from '../../src/core/pcapng';
import { Registry } from '../../src/core/registry';
import { bundleCli } from './support/cliBundle';
import { waitUntil } from './support/sockets';

const PEERS = path.resolve(__dirname, '..', 'peers');
const BIG_LOG = { maxBytes: 64 * 1024 * 1024, maxRecords: 1_000_000 };

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a program to its end; tshark's "running as root" warning is dropped from stderr. */
async function run(program: string, args: string[]): Promise<Run> {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  stderr = stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^Running as user "root" and group "root"\. This could be dangerous\.$/.test(line.trim()))
    .join('\n');
  return { code, stdout: Buffer.concat(out), stderr };
}

async function tshark(args: string[]): Promise<string> {
  const result = await run('tshark', args);
  assert.equal(result.code, 0, `tshark ${args.join(' ')} failed: ${result.stderr}`);
  assert.equal(result.stderr, '', `tshark ${args.join(' ')} complained`);
  return result.stdout.toString();
}

interface Followed {
  /** "address:port" of the side that sent the first packet (the SYN). */
  node0: string;
  node1: string;
  fromNode0: Buffer;
  fromNode1: Buffer;
}

/** `-z follow,tcp,raw,N`: lines from node 1 are indented with a tab, node 0's are not. */
async function follow(file: string, stream: number): Promise<Followed> {
  const text = await tshark(['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`]);
  const node = (n: number): string => (new RegExp(`^Node ${n}: (.+)$`, 'm').exec(text) ?? [])[1] ?? '';
  const zero: string[] = [];
  const one: string[] = [];
  const body = text.split(/^=+$/m)[1] ?? '';
  for (const line of body.split('\n')) {
    if (/^\t[0-9a-f]+$/.test(line)) one.push(line.slice(1));
    else if (/^[0-9a-f]+$/.test(line)) zero.push(line);
  }
  return { node0: node(0), node1: node(1), fromNode0: Buffer.from(zero.join(''), 'hex'), fromNode1: Buffer.from(one.join(''), 'hex') };
}

/** Every IP and TCP checksum tshark verifies as good (status 1), and how many packets there are. */
async function assertChecksumsGood(file: string): Promise<number> {
  const fields = await tshark(['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'ipv6.src']);
  // trimEnd: a row may begin with an empty field (IPv6 has no header checksum).
  const rows = fields.trimEnd().split('\n');
  for (const [i, row] of rows.entries()) {
    const [ip, tcp, v6] = row.split('\t');
    assert.equal(tcp, '1', `packet ${i + 1}: TCP checksum status ${tcp}`);
    if (!v6) assert.equal(ip, '1', `packet ${i + 1}: IPv4 header checksum status ${ip}`);
  }
  return rows.length;
}

/** tshark's expert info at warning level and above: what Wireshark would paint yellow or red. */
async function expertWarnings(file: string): Promise<string> {
  const text = await tshark(['-r', file, '-q', '-z', 'expert,warn']);
  return text.trim();
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function concat(connection: Connection, dir: 'in' | 'out'): Buffer {
  return Buffer.concat(connection.log.records().filter((r) => r.dir === dir).map((r) => r.bytes));
}

interface Peer {
  port: number;
  child: ChildProcessWithoutNullStreams;
  /** Lines after the port, until the peer exits. */
  rest: Promise<string[]>;
}

const peers = new Set<ChildProcessWithoutNullStreams>();
/** Plain node sockets playing a listener's clients. */
const sockets = new Set<Socket>();

async function startPeer(script: string, args: string[]): Promise<Peer> {
  const child = spawn('python3', [path.join(PEERS, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  peers.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new Error(`${script} did not start: ${stderr}`);
  const rest = (async () => {
    const out: string[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) out.push(next.value);
    return out;
  })();
  return { port: Number(first.value), child, rest };
}

describe('pcapng export (read back by tshark)', function () {
  this.timeout(120_000);
  let dir: string;
  let registry: Registry;

  before(async () => {
    const probe = spawnSync('tshark', ['--version'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) {
      throw new Error('tshark is not installed, and these tests need it: install the Debian package (apt-get install tshark), then run them again.');
    }
    dir = await mkdtemp(path.join(tmpdir(), 'tcp-lab-pcap-'));
  });
  beforeEach(() => {
    registry = new Registry();
    registry.setDefaults({ log: BIG_LOG });
  });
  afterEach(async () => {
    await registry.stopAll();
    registry.dispose();
    for (const child of peers) child.kill();
    peers.clear();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a 10 MiB two-way exchange with a Python peer follows back byte for byte, with good checksums and no warnings', async () => {
    const size = 10 * 1024 * 1024;
    const peer = await startPeer('exchange.py', ['127.0.0.1', String(size), '16']);
    const connection = await registry.connect({ host: '127.0.0.1', port: peer.port });
    const sent = randomBytes(size);
    await connection.send(sent);
    connection.end();
    await connection.waitForClose();
    const [report] = await peer.rest;
    const [, peerSent, , peerReceived, peerLength] = report.split(' ');
    assert.equal(Number(peerLength), size);
    assert.equal(peerReceived, sha256(sent), 'the peer got what TCP Lab sent');

    const file = path.join(dir, 'exchange.pcapng');
    const summary = await exportTargetToPcapng(registry, connection.id, file);
    assert.equal(summary.connections, 1);
    assert.equal(summary.missingBytes, 0);
    assert.equal(summary.records, connection.log.retained.records);

    const followed = await follow(file, 0);
    assert.equal(followed.node0, `${connection.local!.address}:${connection.local!.port}`, 'TCP Lab opened the connection, so its SYN comes first');
    assert.equal(followed.node1, `127.0.0.1:${peer.port}`);
    assert.equal(followed.fromNode0.length, size);
    assert.ok(followed.fromNode0.equals(sent), 'TCP Lab → peer bytes are exactly what was sent');
    assert.equal(followed.fromNode1.length, size);
    assert.equal(sha256(followed.fromNode1), peerSent, 'peer → TCP Lab bytes are exactly what the peer sent');
    assert.ok(followed.fromNode1.equals(concat(connection, 'in')));

    const packets = await assertChecksumsGood(file);
    assert.equal(packets, summary.packets);
    assert.equal(await expertWarnings(file), '', 'Wireshark finds nothing wrong with the TCP stream');
  });

  it('captures a connection live as pcapng: readable while it runs, then every byte both ways, good checksums, the FIN close', async () => {
    const size = 4 * 1024 * 1024;
    const peer = await startPeer('exchange.py', ['127.0.0.1', String(size), '16']);
    const connection = await registry.connect({ host: '127.0.0.1', port: peer.port });
    const file = path.join(dir, 'live.pcapng');
    // Started before the first byte, as the capture folder setting does: the file opens with the handshake.
    await connection.startCapture(file, 'pcapng');
    const sent = randomBytes(size);
    await connection.send(sent.subarray(0, size / 2));
    await waitUntil(() => connection.totals.bytesIn > 0, 'the peer to answer');
    // Wireshark may open the file while the capture runs: what is there so far is a valid capture.
    for (let tries = 0; (await readFile(file)).length < 64; tries++) {
      assert.ok(tries < 500, 'the first packets reach the disk');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(await tshark(['-r', file, '-T', 'fields', '-e', 'tcp.flags.str']), /S/);
    await connection.send(sent.subarray(size / 2));
    connection.end();
    await connection.waitForClose();
    const [report] = await peer.rest;
    const [, peerSent] = report.split(' ');
    await connection.log.stopCapture();

    const followed = await follow(file, 0);
    assert.equal(followed.node0, `${connection.local!.address}:${connection.local!.port}`, 'TCP Lab opened the connection, so its SYN comes first');
    assert.ok(followed.fromNode0.equals(sent), 'TCP Lab → peer bytes are exactly what was sent');
    assert.equal(sha256(followed.fromNode1), peerSent, 'peer → TCP Lab bytes are exactly what the peer sent');
    await assertChecksumsGood(file);
    assert.equal(await expertWarnings(file), '', 'Wireshark finds nothing wrong with the TCP stream');
    const flags = (await tshark(['-r', file, '-T', 'fields', '-e', 'tcp.flags.str'])).trim().split('\n').map((f) => f.replace(/·/g, '').trim());
    assert.deepEqual(flags.slice(-3), ['AF', 'AF', 'A'], 'TCP Lab ended first: its FIN, the peer\'s FIN, the last ACK');
  });

  it('a pcapng capture started midway has no handshake, and a peer\'s reset ends it with a RST', async () => {
    const listener = await registry.listen({ host: '127.0.0.1', port: 0 });
    const client = connect(listener.address!.port, '127.0.0.1');
    sockets.add(client);
    await waitUntil(() => listener.connections.length === 1, 'the client to be accepted');
    const connection = listener.connections[0];
    client.write('before the capture');
    await waitUntil(() => connection.totals.bytesIn === 18, 'the first bytes');
    const file = path.join(dir, 'midway.pcapng');
    await connection.startCapture(file, 'pcapng');
    client.write('after');
    await waitUntil(() => connection.totals.bytesIn === 23, 'the captured bytes');
    client.resetAndDestroy();
    await connection.waitForClose();
    await connection.log.stopCapture();
    const rows = (await tshark(['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.flags.str', '-e', 'tcp.payload'])).trim().split('\n').map((line) => line.split('|'));
    const flags = rows.map((r) => r[0].replace(/·/g, '').trim());
    assert.ok(!flags.some((f) => f.includes('S')), `no SYN in a capture begun midway: ${flags.join(' ')}`);
    assert.equal(Buffer.from(rows.map((r) => r[1]).join(''), 'hex').toString(), 'after', 'only what came after the start');
    assert.match(flags.at(-1) ?? '', /R/, 'the peer\'s reset');
  });

  it('keeps each record\'s timestamp, direction and record number, and shows the handshake and the FIN close', async () => {
    const peer = await startPeer('exchange.py', ['127.0.0.1', '5', '1']);
    const connection = await registry.connect({ host: '127.0.0.1', port: peer.port });
    await connection.send(Buffer.from('hello'));
    connection.end();
    await connection.waitForClose();
    await peer.rest;
    const file = path.join(dir, 'small.pcapng');
    await exportTargetToPcapng(registry, connection.id, file);
    const rows = (await tshark(['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'frame.packet_flags_direction', '-e', 'tcp.flags.str', '-e', 'tcp.len', '-e', 'frame.comment']))
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const flags = rows.map((r) => r[2].replace(/·/g, '').trim());
    assert.deepEqual(flags.slice(0, 3), ['S', 'AS', 'A'], 'SYN, SYN-ACK, ACK');
    assert.deepEqual(flags.slice(-3), ['AF', 'AF', 'A'], 'TCP Lab ended first: its FIN, the peer\'s FIN, the last ACK');
    for (const record of connection.log.records()) {
      const row = rows.find((r) => r[4] === `${connection.id} #${record.seq}`);
      assert.ok(row, `record #${record.seq} has a packet`);
      assert.equal(Math.round(Number(row[0]) * 1000), record.time, 'the record\'s own time');
      assert.equal(row[1], record.dir === 'in' ? '0x00000001' : '0x00000002', 'inbound/outbound as TCP Lab saw it');
      assert.equal(Number(row[3]), record.bytes.byteLength);
    }
  });

  it('dissects a Modbus/TCP exchange as Modbus, decoded by port or with port 502 from the command line', async () => {
    const device = await startPeer('modbusDevice.py', ['127.0.0.1']);
    const connection = await registry.connect({ host: '127.0.0.1', port: device.port });
    const capture = path.join(dir, captureFileName(connection, new Date()));
    await connection.log.startCapture(capture);
    const replies: Buffer[] = [];
    connection.onDidReceive((chunk) => replies.push(Buffer.from(chunk)));
    // Read Holding Registers: transaction 1, unit 1, start 10, two registers.
    await connection.send(Buffer.from('0001000000060103000a0002', 'hex'));
    while (Buffer.concat(replies).length < 13) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(Buffer.concat(replies).toString('hex'), '00010000000701030400' + '0a000b', 'the device answered registers 10 and 11');
    connection.end();
    await connection.waitForClose();
    await device.rest;

    const file = path.join(dir, 'modbus.pcapng');
    await exportTargetToPcapng(registry, connection.id, file);
    // The device's port set as a Modbus/TCP port (like Decode As), so queries and responses are told apart.
    const decoded = await tshark(['-r', file, '-o', `mbtcp.tcp.port:${device.port}`, '-Y', 'mbtcp', '-T', 'fields', '-e', 'mbtcp.trans_id', '-e', 'modbus.func_code', '-e', 'modbus.regval_uint16']);
    assert.deepEqual(decoded.trim().split('\n'), ['1\t3\t', '1\t3\t10,11']);

    // The capture file converted with the device's well-known port: Wireshark picks Modbus by itself.
    const cli = await bundleCli(dir);
    const converted = path.join(dir, 'modbus-502.pcapng');
    const result = await run(process.execPath, [cli, 'capture2pcap', '--remote', '127.0.0.1:502', '-o', converted, capture]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.toString(), /^Exported 2 records as 1 TCP stream \(\d+ packets\) to .*modbus-502\.pcapng\.\n$/);
    const byPort = await tshark(['-r', converted, '-Y', 'mbtcp', '-T', 'fields', '-e', 'tcp.dstport', '-e', 'modbus.func_code', '-e', 'modbus.regval_uint16']);
    // Capture files do not record TCP Lab's own end: a loopback placeholder stands in for it.
    assert.deepEqual(byPort.trim().split('\n'), ['502\t3\t', '49152\t3\t10,11'], 'the query to port 502 and its answer');
  });

  it('exports a listener on ::1 with every client, closed and live, as its own IPv6 stream, each closed as it closed', async () => {
    const listener = await registry.listen({ host: '::1', port: 0 });
    const port = listener.address!.port;
    const accepted: Connection[] = [];
    listener.onDidAccept((c) => accepted.push(c));
    const dial = async (): Promise<Socket> => {
      const socket = connect({ host: '::1', port });
      sockets.add(socket);
      await once(socket, 'connect');
      while (accepted.length === 0 || accepted[accepted.length - 1].remote?.port !== socket.localPort) await new Promise((r) => setTimeout(r, 5));
      return socket;
    };
    // First client: says something, gets an answer, ends first (peerEnded → its FIN first).
    const first = await dial();
    first.write('first client');
    await accepted[0].send(Buffer.from('answer one'));
    await once(first, 'data');
    first.end();
    await new Promise<void>((resolve) => accepted[0].onDidChangeState((state) => state === 'halfClosed' && resolve()));
    accepted[0].end();
    await accepted[0].waitForClose();
    // Second client: sends and resets (RST from the peer).
    const second = await dial();
    const secondText = 'second client, resetting';
    second.write(secondText);
    while (accepted[1].totals.bytesIn < secondText.length) await new Promise((r) => setTimeout(r, 5));
    second.resetAndDestroy();
    const closed = await accepted[1].waitForClose();
    assert.equal(closed.reason, 'reset');
    // Third client: still connected when exported.
    const third = await dial();
    const thirdText = 'third, still here';
    third.write(thirdText);
    while (accepted[2].totals.bytesIn < thirdText.length) await new Promise((r) => setTimeout(r, 5));

    const file = path.join(dir, 'listener.pcapng');
    const summary = await exportTargetToPcapng(registry, listener.id, file);
    assert.equal(summary.connections, 3);
    const streams = await Promise.all([0, 1, 2].map((n) => follow(file, n)));
    assert.deepEqual(streams.map((s) => s.node1), [`[::1]:${port}`, `[::1]:${port}`, `[::1]:${port}`], 'each client connected to the listener (its SYN first)');
    assert.deepEqual(streams.map((s) => s.node0), accepted.map((c) => `[::1]:${c.remote!.port}`));
    assert.deepEqual(streams.map((s) => s.fromNode0.toString()), ['first client', 'second client, resetting', 'third, still here']);
    assert.deepEqual(streams.map((s) => s.fromNode1.toString()), ['answer one', '', '']);
    const flags = (await tshark(['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.stream', '-e', 'ip.version', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.flags.str']))
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    assert.ok(flags.every((f) => f[1] === '6' && f[2] === '::1'), 'IPv6 packets only');
    const last = (stream: string): string[] => flags.filter((f) => f[0] === stream).map((f) => `${f[3] === String(port) ? 'lab' : 'peer'} ${f[4].replace(/·/g, '').trim()}`);
    assert.deepEqual(last('0').slice(-3), ['peer AF', 'lab AF', 'peer A'], 'the peer ended first');
    assert.deepEqual(last('1').slice(-1), ['peer AR'], 'the peer reset');
    assert.ok(!last('2').some((f) => /[FR]/.test(f.split(' ')[1])), 'a live connection has no close yet');
    await assertChecksumsGood(file);
  });

  it('leaves what the log dropped as a visible gap and says so', async () => {
    registry.setDefaults({ log: { maxBytes: 4096, maxRecords: 1000 } });
    const peer = await startPeer('exchange.py', ['127.0.0.1', '0', '1']);
    const connection = await registry.connect({ host: '127.0.0.1', port: peer.port });
    for (let i = 0; i < 10; i++) await connection.send(Buffer.alloc(1000, 0x41 + i));
    connection.end();
    await connection.waitForClose();
    await peer.rest;
    const file = path.join(dir, 'gap.pcapng');
    const summary = await exportTargetToPcapng(registry, connection.id, file);
    assert.equal(summary.missingBytes, 10_000 - connection.log.retained.bytes);
    assert.ok(summary.missingBytes > 0);
    assert.match(describeExport(summary, file), /dropped \d+ older bytes.*Capture to a file to keep every byte\./);
    assert.match(await expertWarnings(file), /Previous segment\(s\) not captured/);
    // tshark's follow output marks the gap with a text of its own, then the bytes the log kept.
    const followed = (await follow(file, 0)).fromNode0.toString('latin1');
    assert.equal(followed, `[${summary.missingBytes} bytes missing in capture file]\0${concat(connection, 'out').toString('latin1')}`);
  });

  it('converts a saved JSON Lines log of two peers into two streams, and refuses bad input in one sentence', async () => {
    const saved = path.join(dir, 'saved.jsonl');
    await writeFile(
      saved,
      toJsonLines([
        { seq: 1, time: 1_800_000_000_000, dir: 'in', conn: 'C1', peer: '127.0.0.1:40001', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') },
        { seq: 1, time: 1_800_000_000_001, dir: 'in', conn: 'C2', peer: '[::1]:40002', bytes: Buffer.from('second') },
        { seq: 2, time: 1_800_000_000_002, dir: 'out', conn: 'C1', peer: '127.0.0.1:40001', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
      ]),
    );
    const cli = await bundleCli(dir);
    const ok = await run(process.execPath, [cli, 'capture2pcap', '--local', '127.0.0.1:8080', '--accepted', saved]);
    assert.equal(ok.code, 0, ok.stderr);
    const out = path.join(dir, 'saved.pcapng');
    assert.match(ok.stdout.toString(), /Exported 3 records as 2 TCP streams/);
    const http = await tshark(['-r', out, '-Y', 'http', '-T', 'fields', '-e', 'http.request.method', '-e', 'http.response.code']);
    assert.deepEqual(http.trim().split('\n'), ['GET\t', '\t200'], 'port 8080 is HTTP to Wireshark: the dissector ran');
    const v6 = await follow(out, 1);
    assert.equal(v6.node0, '[::1]:40002', 'an IPv6 peer against an IPv4 local end: mapped into IPv6');
    assert.equal(v6.fromNode0.toString(), 'second');

    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, '{"seq":1,"time":1,"dir":"in","base64":"AA=="}\n{"seq":2,"time":2,"dir":"sideways","base64":""}\n');
    const refused = await run(process.execPath, [cli, 'capture2pcap', '--remote', '127.0.0.1:9', bad]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), `Line 2 of "${bad}" is not a TCP Lab capture record ("dir" must be "in" or "out"); give a capture file or a log saved as JSON Lines by TCP Lab.`);
    assert.equal(await readFile(path.join(dir, 'bad.pcapng')).catch(() => 'gone'), 'gone', 'no half-written pcapng is left behind');

    const nameless = path.join(dir, 'renamed.jsonl');
    await writeFile(nameless, '{"seq":1,"time":1,"dir":"in","base64":"AA=="}\n');
    const noPeer = await run(process.execPath, [cli, 'capture2pcap', nameless]);
    assert.equal(noPeer.code, 1);
    assert.match(noPeer.stderr, /does not say which peer its connection talked to; .* Pass --remote ADDRESS:PORT\.$/);
    const usage = await run(process.execPath, [cli, 'capture2pcap', '--remote', 'localhost:9', nameless]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^Invalid --remote 'localhost:9': write a numeric address and port/);
  });

  it('takes a capture file\'s missing facts from the connection TCP Lab still knows', async () => {
    const peer = await startPeer('exchange.py', ['127.0.0.1', '3', '2']);
    const connection = await registry.connect({ host: '127.0.0.1', port: peer.port });
    const capture = path.join(dir, captureFileName(connection, new Date()));
    await connection.log.startCapture(capture);
    await connection.send(Buffer.from('ping'));
    connection.reset();
    await connection.waitForClose();
    await peer.rest.catch(() => undefined);
    const options = captureFileOptions(registry, capture);
    assert.deepEqual(options.local, connection.local);
    assert.equal(options.localOpened, true);
    assert.equal(options.close, 'rstLocal', 'TCP Lab\'s own reset');
    assert.deepEqual(captureFileOptions(undefined, capture), { remote: connection.remote }, 'without the registry only the name\'s peer');
    const file = path.join(dir, 'known.pcapng');
    await convertCaptureToPcapng(capture, file, options);
    const followed = await follow(file, 0);
    assert.equal(followed.node0, `127.0.0.1:${connection.local!.port}`);
    assert.equal(followed.fromNode0.toString(), 'ping');
    const flags = await tshark(['-r', file, '-Y', 'tcp.flags.reset==1', '-T', 'fields', '-e', 'tcp.srcport']);
    assert.equal(flags.trim(), String(connection.local!.port));
  });
});

/** RFC 1071 as written: big-endian 16-bit words, an odd last byte padded with zero, carries folded in. */
function referenceChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) {
      sum += (part[i] << 8) + (i + 1 < part.length ? part[i + 1] : 0);
      // The end-around carry after every word, as RFC 1071 describes it (and exact for any length).
      if (sum > 0xffff) sum -= 0xffff;
    }
  }
  return ~sum & 0xffff;
}

describe('pcapng building blocks', () => {
  it('sums like RFC 1071 whatever the bytes\' alignment and length (32-bit words, byte order undone)', () => {
    const backing = randomBytes(70_000);
    fc.assert(fc.property(
      fc.array(fc.record({ offset: fc.integer({ min: 0, max: 7 }), length: fc.integer({ min: 0, max: 66_000 }), fill: fc.constantFrom('random', 'ones', 'zeros') }), { minLength: 1, maxLength: 3 }),
      (specs) => {
        const parts = specs.map(({ offset, length, fill }, i) => {
          // Every part but the last has even length, as for the headers before a payload.
          const even = i < specs.length - 1 ? length & ~1 : length;
          const part = backing.subarray(offset, offset + even);
          if (fill === 'random') return part;
          return new Uint8Array(part.length + 8).subarray(offset, offset + part.length).fill(fill === 'ones' ? 0xff : 0);
        });
        assert.equal(internetChecksum(...parts), referenceChecksum(...parts));
      },
    ), { numRuns: 300 });
  });

  it('sums exactly past one fold of its word lanes (40 MiB of the largest words, at an odd offset)', () => {
    // Without the folds, 40 MiB of 0xff words would take a lane past 2^53, where doubles round.
    const ones = new Uint8Array(40 * 1024 * 1024 + 7).fill(0xff);
    const random = randomBytes(9 * 1024 * 1024 + 7);
    for (const bytes of [ones, random]) {
      const odd = bytes.subarray(3);
      assert.equal(internetChecksum(odd), referenceChecksum(odd));
    }
  });

  it('computes the Internet checksum of RFC 1071\'s example and parses IP literals', () => {
    assert.equal(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
    assert.equal(internetChecksum(Uint8Array.from([0x00, 0x01]), Uint8Array.from([0xf2, 0x03, 0xf4])), 0x19fa, 'an odd-length last part is padded with a zero byte');
    assert.deepEqual([...ipBytes('192.0.2.1')!], [192, 0, 2, 1]);
    assert.deepEqual(Buffer.from(ipBytes('2001:db8::1')!).toString('hex'), '20010db8000000000000000000000001');
    assert.deepEqual(Buffer.from(ipBytes('::ffff:1.2.3.4')!).toString('hex'), '00000000000000000000ffff01020304');
    assert.deepEqual(Buffer.from(ipBytes('fe80::1%eth0')!).toString('hex'), 'fe800000000000000000000000000001');
    assert.equal(ipBytes('localhost'), undefined);
  });

  it('maps every close reason to the close a peer would have seen', () => {
    assert.equal(closeKindOf('local', false), 'finLocal');
    assert.equal(closeKindOf('peerEnded', false), 'finRemote');
    assert.equal(closeKindOf('reset', true), 'rstRemote');
    assert.equal(closeKindOf('reset', false), 'rstLocal');
    assert.equal(closeKindOf('error', true), 'rstLocal');
    assert.equal(closeKindOf('timeout', true), 'rstLocal');
  });

  it('reads back the peer a capture file name keeps, IPv6 included', () => {
    assert.deepEqual(parseCaptureFileName('2026-11-27_07-05-09_C3_127.0.0.1-54321.jsonl')?.remote, { address: '127.0.0.1', family: 'IPv4', port: 54321 });
    assert.deepEqual(parseCaptureFileName('2026-11-27_07-05-09_C3_--1-502.jsonl')?.remote, { address: '::1', family: 'IPv6', port: 502 });
    assert.equal(parseCaptureFileName('2026-11-27_07-05-09_C3_fe80--1-eth0-502.jsonl')?.remote, undefined, 'a zone index cannot be read back');
    assert.equal(parseCaptureFileName('notes.jsonl'), undefined);
  });

  it('streams a large export through its sink in bounded chunks', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const count = 400; // 25 MiB, produced lazily: only the writer's buffer is ever held
    function* records(): Generator<{ seq: number; time: number; dir: 'in' | 'out'; bytes: Uint8Array }> {
      for (let i = 0; i < count; i++) yield { seq: i + 1, time: 1_800_000_000_000 + i, dir: i % 2 ? 'in' : 'out', bytes: chunk };
    }
    let largest = 0;
    let total = 0;
    const sink = {
      write: async (data: Buffer): Promise<void> => {
        largest = Math.max(largest, data.length);
        total += data.length;
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    const connection: ExportConnection = {
      id: 'C9',
      endpoints: { local: { address: '127.0.0.1', family: 'IPv4', port: 5000 }, remote: { address: '127.0.0.1', family: 'IPv4', port: 502 }, localOpened: true },
      openedAt: 1_800_000_000_000,
      records: records(),
      missing: { in: 0, out: 0 },
    };
    const writer = new PcapngWriter(sink);
    const summary = await writeConnections(writer, [connection]);
    assert.equal(summary.records, count);
    assert.equal(total, writer.bytes);
    assert.ok(total > count * chunk.length, 'every payload byte went out');
    assert.ok(largest < 512 * 1024, `the largest single write was ${largest} bytes`);
  });
});
