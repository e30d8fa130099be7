// `.tcp` checksums: `SEND … CHECKSUM algorithm` appends one, and FRAMING with a checksum makes an
// expectation fail on a frame that does not pass it. Against a Python Modbus-style server that
// checks every CRC with its own code, and an echo peer.
import * as assert from 'node:assert/strict';
import { parseTcpFile } from '../../src/core/tcpFile/parser';
import { echoServer, runText, stopPeers } from './tcpFilePeers';
import { Cleanup, startPythonPeer, waitUntil } from './support/sockets';

describe('tcp file checksums', function () {
  this.timeout(15000);
  const cleanup = new Cleanup();
  afterEach(async () => {
    await stopPeers();
    await cleanup.run();
  });

  it('parses CHECKSUM at the end of a SEND line, with options, and underlines a bad one', () => {
    const file = parseTcpFile('###\nCONNECT 127.0.0.1:502\nSEND hex 01 03 00 0A 00 02 CHECKSUM crc16modbus\nSEND text $A,B CHECKSUM xor from=1 width=1\n');
    assert.deepEqual(file.diagnostics, []);
    const [modbus, nmea] = file.blocks[0].steps;
    assert.ok(modbus.kind === 'send' && nmea.kind === 'send');
    assert.equal(modbus.body.text, '01 03 00 0A 00 02');
    assert.deepEqual(modbus.checksum, { algorithm: 'crc16modbus', label: 'CRC-16/MODBUS', from: 0, toEndMinus: 0, order: 'little', width: 2 });
    assert.equal(nmea.body.text, '$A,B');
    assert.equal(nmea.checksum?.from, 1);

    const bad = parseTcpFile('###\nCONNECT 127.0.0.1:502\nSEND hex 01 CHECKSUM crc99\nSEND hex 02 CHECKSUM crc8 from=x\nSEND hex 03 CHECKSUM crc8 start=1\n');
    assert.deepEqual(
      bad.diagnostics.map((d) => [d.line, d.startCol, d.message]),
      [
        [2, 12, 'CHECKSUM.algorithm must be one of crc16modbus, crc16ccittfalse, crc16xmodem, crc32, crc8, xor, lrc, sum8, sum16 (got "crc99").'],
        [3, 12, 'CHECKSUM.from must be a whole number of bytes from 0 to 65535 (got "x").'],
        [4, 12, "Unknown CHECKSUM option 'start=1': write from=N, toEndMinus=N, order=big|little or width=1|2|4."],
      ],
    );
  });

  it('sends the CRC a Modbus server verifies, and checks the reply CRC with FRAMING', async () => {
    const { child, port } = await startPythonPeer(cleanup, 'modbusPeer.py', ['server']);
    let verdicts = '';
    child.stdout.on('data', (chunk: Buffer) => (verdicts += chunk.toString()));
    const result = await runText(
      `###\nCONNECT 127.0.0.1:${port}\nFRAMING {"mode":"fixed","size":9,"checksum":"crc16modbus"}\nSEND hex 01 03 00 0A 00 02 CHECKSUM crc16modbus\nEXPECT hex 01 03 04 00 2A 00 2B 9B E4`,
    );
    assert.equal(result.status, 'passed', JSON.stringify(result.expectations));
    await waitUntil(() => verdicts.includes('\n'), 'the server to judge the request');
    assert.equal(verdicts, 'ok 01 03 00 0a 00 02 e4 09\n');
  });

  it('fails an expectation on a frame whose checksum is wrong, saying expected and got', async () => {
    const peer = await echoServer();
    const good = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING u16be CHECKSUM crc16modbus\nSEND hex 01 03 00 0A 00 02 CHECKSUM crc16modbus\nEXPECT hex 01 03 00 0A 00 02 E4 09`);
    assert.equal(good.status, 'passed', JSON.stringify(good.expectations));
    assert.equal(good.bytesSent, 10, 'length prefix, payload and CRC');
    const bad = await runText(`###\nCONNECT 127.0.0.1:${peer.port}\nFRAMING u16be CHECKSUM crc16modbus\nSEND hex 01 03 00 0A 00 02 00 00\nEXPECT hex 01 03 00 0A 00 02 00 00`);
    assert.equal(bad.status, 'failed');
    assert.equal(bad.expectations[0].message, 'A received frame failed its checksum: CRC-16/MODBUS expected E4 09, got 00 00.');
  });

  it('counts {{$counter}} per block run, one number per payload', async () => {
    const peer = await echoServer();
    const file = `###\nCONNECT 127.0.0.1:${peer.port}\nSEND text a{{$counter}}{{$counter}}\nSEND text b{{$counter}}\nEXPECT text a11b2`;
    const first = await runText(file);
    assert.equal(first.status, 'passed', JSON.stringify(first.expectations));
    const second = await runText(file);
    assert.equal(second.status, 'passed', 'a new run counts from 1 again');
  });
});
