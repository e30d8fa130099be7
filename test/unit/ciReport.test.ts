import * as assert from 'node:assert/strict';
import { junitReport, tapReport } from '../../src/core/tcpFile/ciReport';
import { echoServer, runText, stopPeers } from './tcpFilePeers';

describe('CI reports (JUnit XML, TAP 13)', () => {
  afterEach(stopPeers);

  it('keeps a report well-formed whatever a block name or the peer holds: control bytes, markup, CDATA ends', async () => {
    const echo = await echoServer();
    // The name carries a BEL and markup; the payload an escape byte, `]]>` and `<`; neither may break the XML.
    const result = await runText(`### bell \x07 <b>&\nCONNECT 127.0.0.1:${echo.port}\nSEND hex 1b 5d 5d 3e 3c\nEXPECT text nope\n`);
    assert.equal(result.status, 'failed');
    const xml = junitReport([{ file: 'a&b.tcp', results: [result], errors: [] }]);
    assert.doesNotMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'no character XML 1.0 forbids');
    assert.doesNotMatch(xml, /<b>|]]>|a&b/, 'markup from the name, the file and the peer is escaped');
    assert.match(xml, /<testcase classname="a&amp;b\.tcp" name="bell \uFFFD &lt;b&gt;&amp;" time="\d+\.\d{3}">/);
    assert.match(xml, /<failure message="line 4: EXPECT text nope: [^"]+" type="ExpectationFailed">/);
    assert.match(xml, /<testsuites name="tcp-lab-test" tests="1" failures="1" errors="0" time="\d+\.\d{3}">/);

    // TAP: one line per test; a `#` in a name would start a directive (SKIP, TODO) and is escaped.
    const tap = tapReport([{ file: 'x.tcp', results: [{ ...result, name: 'one # TODO\nnext line' }], errors: ['x.tcp:9:1 error: bad'] }]);
    assert.deepEqual(tap.split('\n').slice(0, 2), ['TAP version 13', 'not ok 1 - x.tcp (file errors)']);
    assert.match(tap, /\nnot ok 2 - x\.tcp: one \\# TODO next line\n {2}---\n {2}message: \|-\n {4}line 4: /);
    assert.match(tap, /\n1\.\.2\n$/);
  });
});
