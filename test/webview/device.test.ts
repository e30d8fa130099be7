// The device-protocol pieces of the panel in real Chromium: the send box's checksum with its live
// preview and dynamic variables, a bad frame marked in its row, the quick-send bar (click, Shift+click,
// repeat, sequence), and the Checksum button on a selected row.
import * as assert from 'node:assert/strict';
import type { FromWebviewMessage, QuickSendInfo, SendMessage, SendSequenceMessage, WireRecord } from '../../src/shared/protocol';
import { connectionTarget, feedOf, PanelHarness, SETTINGS, wire } from './harness';

const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex').replace(/(..)(?!$)/g, '$1 ').toUpperCase();
const text = (base64: string): string => Buffer.from(base64, 'base64').toString('latin1');

const QUICK: QuickSendInfo = {
  preset: 'PLC',
  encoding: 'utf-8',
  lineEnding: 'crlf',
  payloads: [
    { name: 'Read registers', format: 'hex', data: '01 03 00 0A 00 02', checksum: { algorithm: 'crc16modbus' } },
    { name: 'Poll', format: 'text', data: 'POLL {{$counter}}', repeat: { intervalMs: 500, count: 4 } },
    { name: 'Handshake', format: 'text', data: 'HELLO', sequence: [{ expect: 'text', pattern: 'WELCOME', withinMs: 1000 }, { delayMs: 50 }, { send: 'Read registers' }, { expect: 'regex', pattern: '^\\x01\\x03' }] },
  ],
};

describe('device protocols in the panel (Chromium)', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  async function open(records: WireRecord[] = [], quickSend?: QuickSendInfo, badChecksums?: number): Promise<void> {
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records, feed: { ...feedOf(records), ...(badChecksums ? { badChecksums } : {}) }, ...(quickSend ? { quickSend } : {}) });
    await harness.page.waitForSelector('.log');
    await harness.settle();
  }

  async function sent<T extends FromWebviewMessage['type']>(type: T): Promise<Extract<FromWebviewMessage, { type: T }>[]> {
    return (await harness.posted()).filter((m): m is Extract<FromWebviewMessage, { type: T }> => m.type === type);
  }

  it('previews the checksum live under the send box and appends it to what is sent', async () => {
    await open();
    const page = harness.page;
    const box = page.getByRole('textbox', { name: 'Payload to send' });
    const preview = page.getByRole('status', { name: 'Checksum appended' });
    await page.getByRole('radiogroup', { name: 'Payload format' }).getByRole('radio', { name: 'Hex' }).click();
    await box.fill('01 03 00 0A 00 02');
    assert.equal(await page.getByLabel('Checksum from byte').isVisible(), false, 'no range fields without a checksum');
    await page.getByRole('combobox', { name: 'Append checksum' }).selectOption('crc16modbus');
    assert.equal(await preview.textContent(), '+ E4 09 (CRC-16/MODBUS)');
    assert.equal(await page.getByRole('combobox', { name: 'Checksum byte order' }).inputValue(), 'little', 'Modbus sends the low byte first');
    await box.fill('01 03 00 0A 00 02 03');
    assert.notEqual(await preview.textContent(), '+ E4 09 (CRC-16/MODBUS)', 'the preview follows the typing');
    await box.fill('01 03 00 0A 00 02');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const [send] = await sent('send');
    assert.equal(hex(send.data), '01 03 00 0A 00 02 E4 09');

    // Save as preset keeps the checksum with the payload.
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Save as preset' }).click();
    const [save] = await sent('savePreset');
    assert.deepEqual(save.checksum, { algorithm: 'crc16modbus', from: 0, toEndMinus: 0, order: 'little' });

    // The range: a checksum over the bytes after a start byte, and a range that cannot fit.
    await page.getByRole('combobox', { name: 'Append checksum' }).selectOption('xor');
    await page.getByLabel('Checksum from byte').fill('1');
    assert.equal(await preview.textContent(), '+ 0B (XOR (BCC))');
    await page.getByLabel('Checksum from byte').fill('9');
    assert.match((await page.locator('#send-error').textContent()) ?? '', /^The XOR \(BCC\) range \(from byte 9 to the end minus 0\) does not fit a payload of 6 bytes; lower from or toEndMinus\.$/);
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);
  });

  it('resolves dynamic variables at send time, with one counter for the panel that survives a reload', async () => {
    await open();
    const page = harness.page;
    const box = page.getByRole('textbox', { name: 'Payload to send' });
    await box.fill('n={{$counter}} at {{$datetime iso8601}} id={{$uuid}} {{name}}');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const sends = await sent('send');
    assert.match(text(sends[0].data), /^n=1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z id=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} \{\{name\}\}$/);
    assert.match(text(sends[1].data), /^n=2 /);
    await box.fill('{{$randomInt 9 3}}');
    assert.match((await page.locator('#send-error').textContent()) ?? '', /needs min below max/);

    const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    await harness.open(state);
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: connectionTarget(), records: [], feed: feedOf([]) });
    await harness.page.waitForSelector('.log');
    await harness.page.getByRole('textbox', { name: 'Payload to send' }).fill('n={{$counter}}');
    await harness.clearPosted();
    await harness.page.getByRole('button', { name: 'Send', exact: true }).click();
    assert.equal(text((await sent('send'))[0].data), 'n=3');
  });

  it('marks a frame that failed its checksum in its row and counts it in the status line', async () => {
    await open(
      [
        { ...wire('in', Buffer.from('01030004002a002b9be4', 'hex')), kind: 'frame' },
        { ...wire('in', Buffer.from('010300040000000000', 'hex')), kind: 'frame', invalid: true, note: 'CRC-16/MODBUS expected 7B F3, got 00 00' },
      ],
      undefined,
      1,
    );
    const page = harness.page;
    const bad = page.locator('.row.invalid');
    assert.equal(await bad.count(), 1);
    assert.match((await bad.locator('.content').textContent()) ?? '', /^\[CRC-16\/MODBUS expected 7B F3, got 00 00\] /);
    assert.match((await bad.getAttribute('aria-label')) ?? '', /^Received invalid frame/);
    const noteColour = await bad.locator('.note').evaluate((n) => getComputedStyle(n).color);
    const goodColour = await page.locator('.row.kind-frame:not(.invalid) .content').evaluate((n) => getComputedStyle(n).color);
    assert.notEqual(noteColour, goodColour, 'the failed check stands out');
    assert.match((await page.locator('#log-status').textContent()) ?? '', /1 frame failed the checksum/);
  });

  it('shows the preset payloads as quick-send buttons: click sends, Shift+click edits first, repeat and sequence go to the host', async () => {
    await open([], QUICK);
    const page = harness.page;
    const bar = page.getByRole('toolbar', { name: 'Quick send' });
    assert.deepEqual(await bar.getByRole('button').allTextContents(), ['Read registers', 'Poll', 'Handshake']);
    const read = bar.getByRole('button', { name: 'Quick send Read registers' });
    assert.match((await read.getAttribute('title')) ?? '', /^01 03 00 0A 00 02 E4 09\nClick sends; Shift\+click edits first\.$/);

    await harness.clearPosted();
    await read.click();
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    let [send] = await sent('send');
    assert.equal(hex(send.data), '01 03 00 0A 00 02 E4 09');
    assert.equal(send.repeat, undefined);
    await harness.post({ type: 'reply', requestId: send.requestId, ok: true });

    // Shift+click: into the send box, checksum and format with it; nothing is sent.
    await harness.clearPosted();
    await read.click({ modifiers: ['Shift'] });
    assert.equal(await page.getByRole('textbox', { name: 'Payload to send' }).inputValue(), '01 03 00 0A 00 02');
    assert.equal(await page.getByRole('combobox', { name: 'Append checksum' }).inputValue(), 'crc16modbus');
    assert.equal(await page.getByRole('radio', { name: 'Hex' }).nth(1).getAttribute('aria-checked'), 'true');
    assert.equal(await page.getByRole('status', { name: 'Checksum appended' }).textContent(), '+ E4 09 (CRC-16/MODBUS)');
    assert.deepEqual(await harness.posted(), []);

    // A repeat: one request, the host repeats; text payloads get the preset's line ending.
    await bar.getByRole('button', { name: 'Quick send Poll' }).click();
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    [send] = await sent('send');
    assert.equal(text(send.data), 'POLL 1\r\n');
    assert.deepEqual((send as SendMessage).repeat, { intervalMs: 500, count: 4 });
    await harness.post({ type: 'reply', requestId: send.requestId, ok: true });

    // A sequence: resolved here into bytes and patterns, run by the host; its outcome is shown.
    await harness.clearPosted();
    await bar.getByRole('button', { name: 'Quick send Handshake' }).click();
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    const [sequence] = (await sent('sendSequence')) as SendSequenceMessage[];
    assert.deepEqual(
      sequence.steps.map((s) => (s.kind === 'send' ? ['send', hex(s.data)] : s.kind === 'delay' ? ['delay', s.ms] : s.match === 'bytes' ? ['expect', text(s.data), s.withinMs] : ['expect', s.pattern, s.withinMs])),
      [
        ['send', '48 45 4C 4C 4F 0D 0A'],
        ['expect', 'WELCOME', 1000],
        ['delay', 50],
        ['send', '01 03 00 0A 00 02 E4 09'],
        ['expect', '^\\x01\\x03', 5000],
      ],
    );
    await harness.post({ type: 'reply', requestId: sequence.requestId, ok: false, error: 'Step 2 of 5 (expect text WELCOME) was not met within 1000 ms.' });
    await page.getByText('"Handshake": Step 2 of 5 (expect text WELCOME) was not met within 1000 ms.').waitFor();

    // Settings changed: the bar follows; no matching preset, no bar.
    await harness.post({ type: 'quickSend' });
    await harness.settle();
    assert.equal(await bar.isVisible(), false);
  });

  it('hands the selected row, or the text selected in it, to TCP: Compute Checksum', async () => {
    await open([wire('in', Buffer.from('010300', 'hex'))]);
    const page = harness.page;
    const button = page.getByRole('button', { name: 'Checksum', exact: true });
    assert.equal(await button.isDisabled(), true, 'nothing selected yet');
    await page.locator('.row').first().click();
    await harness.clearPosted();
    await button.click();
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    const [message] = await sent('computeChecksum');
    assert.equal(hex(message.data ?? ''), '01 03 00');
    assert.match(message.source, /^record #\d+$/);
  });
});
