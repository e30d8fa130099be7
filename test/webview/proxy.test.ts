// A proxy pair's panel in real Chromium: one timeline both ways with the conversation's direction
// labels and colours, fault marks as text, injection into either direction, and the faults editor.
import * as assert from 'node:assert/strict';
import type { FromWebviewMessage, ProxyPanelInfo, TargetInfo, WireRecord } from '../../src/shared/protocol';
import type { ToxicDefinition } from '../../src/shared/toxics';
import { connectionTarget, feedOf, PanelHarness, SETTINGS, wire } from './harness';

const decode = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

const LATENCY: ToxicDefinition = { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } };

function proxyInfo(toxics: ToxicDefinition[] = []): ProxyPanelInfo {
  return { name: 'api', listen: '127.0.0.1:4100', upstream: '127.0.0.1:8080', enabled: true, toxics, upstreamState: 'open' };
}

function pairTarget(toxics: ToxicDefinition[] = []): TargetInfo {
  return { ...(connectionTarget({ role: 'accepted' }) as Extract<TargetInfo, { kind: 'connection' }>), id: 'C2', proxy: proxyInfo(toxics) };
}

describe('proxy panel webview in Chromium', function () {
  const harness = new PanelHarness();
  harness.useInSuite();

  async function openPair(records: WireRecord[], toxics: ToxicDefinition[] = []): Promise<void> {
    await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, target: pairTarget(toxics), records, feed: feedOf(records) });
    await harness.page.waitForSelector('.log');
    await harness.settle();
  }

  /** Each visible row's direction column and content, top to bottom. */
  async function rows(): Promise<{ dir: string; content: string; colour: string }[]> {
    return harness.page.$$eval('.row:not(.probe)', (nodes) =>
      nodes
        .filter((n) => (n as HTMLElement).offsetParent !== null)
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
        .map((n) => ({ dir: n.querySelector('.dir')?.textContent ?? '', content: n.querySelector('.content')?.textContent ?? '', colour: getComputedStyle(n.querySelector('.dir') as Element).color })),
    );
  }

  async function requestOf(type: FromWebviewMessage['type']): Promise<FromWebviewMessage & { requestId: number }> {
    const found = (await harness.posted()).find((m) => m.type === type);
    assert.ok(found, `the panel posted no ${type}`);
    return found as FromWebviewMessage & { requestId: number };
  }

  it('shows both directions in one timeline, labelled client → upstream and upstream → client in two colours, with fault marks as text', async () => {
    const records = [
      wire('in', 'GET /status\n', 'C2'),
      { ...wire('out', 'HTTP/1.1 200 OK\n', 'C2'), fault: 'latency_downstream +200 ms' },
      { ...wire('in', '<img src=x onerror=alert(1)>', 'C2'), fault: 'drop_img dropped 28 bytes' },
    ];
    await openPair(records);
    const page = harness.page;
    await page.getByRole('heading', { name: 'Proxy api: pair C2' }).waitFor();
    assert.match((await page.locator('.addresses').textContent()) ?? '', /⇄ 127\.0\.0\.1:4100 ⇄ upstream 127\.0\.0\.1:8080/);
    assert.match((await page.locator('.totals').textContent()) ?? '', /client → upstream .* upstream → client/);
    assert.equal(await page.getByRole('button', { name: 'Start TLS' }).isVisible(), false, 'a pair is relayed as it is: no STARTTLS on one side');
    assert.equal(await page.locator('details.faults').isVisible(), false, 'send faults are for TCP Lab\'s own writes; a proxy has Proxy faults');
    const shown = await rows();
    assert.deepEqual(shown.map((r) => r.dir), ['client → upstream', 'upstream → client', 'client → upstream']);
    assert.notEqual(shown[0].colour, shown[1].colour, 'the two directions have distinct colours');
    assert.equal(shown[0].colour, shown[2].colour);
    assert.match(shown[1].content, /^⚡ latency_downstream \+200 ms HTTP\/1\.1 200 OK/);
    assert.match(shown[2].content, /⚡ drop_img dropped 28 bytes <img src=x onerror=alert\(1\)>/);
    assert.equal(await page.locator('.log img').count(), 0, 'peer bytes are never markup');
    assert.match((await page.locator('.row.faulted').first().getAttribute('aria-label')) ?? '', /upstream → client .*fault: latency_downstream \+200 ms/);

    // The direction filter speaks the same words, and filters one way of the conversation.
    const direction = page.getByRole('combobox', { name: 'Direction' });
    assert.deepEqual(await direction.locator('option').allTextContents(), ['both ways', 'client → upstream', 'upstream → client']);
    await direction.selectOption('out');
    await harness.settle();
    assert.deepEqual((await rows()).map((r) => r.dir), ['upstream → client']);
  });

  it('injects into either direction from the send box', async () => {
    await openPair([]);
    const page = harness.page;
    const inject = page.getByRole('combobox', { name: 'Inject into' });
    assert.equal(await inject.isVisible(), true);
    await page.getByLabel('Payload to send').fill('PING');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const toUpstream = (await requestOf('send')) as FromWebviewMessage & { type: 'send'; requestId: number };
    assert.equal(toUpstream.stream, 'upstream');
    assert.equal(decode(toUpstream.data), 'PING');
    await harness.post({ type: 'reply', requestId: toUpstream.requestId, ok: true, detail: 'injected 4 bytes to the upstream' });

    await inject.selectOption('downstream');
    await page.getByLabel('Payload to send').fill('PONG');
    await harness.clearPosted();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const toClient = (await requestOf('send')) as FromWebviewMessage & { type: 'send' };
    assert.equal(toClient.stream, 'downstream');
    assert.equal(decode(toClient.data), 'PONG');
  });

  it('adds, edits and removes faults live, with a content trigger, and shows the host\'s sentence for a bad one', async () => {
    await openPair([]);
    const page = harness.page;
    const section = page.locator('details.proxy-faults');
    await section.locator('summary').click();
    assert.match((await section.textContent()) ?? '', /No faults: bytes are relayed as they come/);
    assert.equal(await section.getByLabel('Pattern', { exact: true }).isVisible(), false, 'the trigger fields show only when asked for');

    // A latency on the replies.
    await section.getByLabel('Fault type').selectOption('latency');
    await section.getByLabel('Stream', { exact: true }).selectOption('downstream');
    // Checked as typed with the engine's own validation: one sentence, and no Add until it is fixed.
    await section.getByLabel('latency (ms)').fill('-5');
    assert.match((await page.locator('#fault-error').textContent()) ?? '', /fault\.attributes\.latency/);
    assert.equal(await section.getByRole('button', { name: 'Add fault' }).isDisabled(), true);
    await section.getByLabel('latency (ms)').fill('200');
    assert.equal(await page.locator('#fault-error').textContent(), '');
    await harness.clearPosted();
    await section.getByRole('button', { name: 'Add fault' }).click();
    const add = (await requestOf('toxic')) as FromWebviewMessage & { type: 'toxic'; requestId: number };
    assert.deepEqual(add.toxic, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200 } });
    assert.equal(add.replaces, undefined);
    await harness.post({ type: 'reply', requestId: add.requestId, ok: true });
    await harness.post({ type: 'target', target: pairTarget([LATENCY]) });
    await section.locator('tr[data-fault="latency_downstream"]').waitFor();
    assert.match((await section.locator('summary').textContent()) ?? '', /1 fault in force/);

    // A drop of the frames that contain "SECRET", client → upstream.
    await section.getByLabel('Fault type').selectOption('drop');
    await section.getByLabel('Stream', { exact: true }).selectOption('upstream');
    await section.getByLabel('Fault name').fill('drop_secret');
    await section.getByLabel('Only frames whose content matches').check();
    await section.getByLabel('Match', { exact: true }).selectOption('contains');
    await section.getByLabel('Pattern', { exact: true }).fill('SECRET');
    await harness.clearPosted();
    await section.getByRole('button', { name: 'Add fault' }).click();
    const drop = (await requestOf('toxic')) as FromWebviewMessage & { type: 'toxic'; requestId: number };
    assert.deepEqual(drop.toxic, { name: 'drop_secret', type: 'drop', stream: 'upstream', toxicity: 1, attributes: {}, when: { match: 'contains', pattern: 'SECRET' } });
    // The engine refuses it: its sentence shows under the form, the form keeps what was typed.
    await harness.post({ type: 'reply', requestId: drop.requestId, ok: false, error: 'toxic.when needs framing on the upstream stream; set the proxy\'s framing first.' });
    await page.getByText('toxic.when needs framing on the upstream stream').waitFor();
    assert.equal(await section.getByLabel('Fault name').inputValue(), 'drop_secret');

    // Edit the latency: the form loads it, and the request names the fault it replaces.
    await section.getByRole('button', { name: 'Edit fault latency_downstream' }).click();
    assert.equal(await section.getByLabel('latency (ms)').inputValue(), '200');
    await section.getByLabel('latency (ms)').fill('500');
    await section.getByLabel('Toxicity (0 to 1)').fill('0.5');
    await section.getByLabel('Seed (optional)').fill('7');
    await harness.clearPosted();
    await section.getByRole('button', { name: 'Save latency_downstream' }).click();
    const edit = (await requestOf('toxic')) as FromWebviewMessage & { type: 'toxic'; requestId: number };
    assert.deepEqual(edit.toxic, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 500, jitter: 0 }, seed: 7 });
    assert.equal(edit.replaces, 'latency_downstream');
    await harness.post({ type: 'reply', requestId: edit.requestId, ok: true });

    await harness.clearPosted();
    await section.getByRole('button', { name: 'Remove fault latency_downstream' }).click();
    const remove = (await requestOf('removeToxic')) as FromWebviewMessage & { type: 'removeToxic'; requestId: number };
    assert.equal(remove.name, 'latency_downstream');
    await harness.post({ type: 'reply', requestId: remove.requestId, ok: true });
    await harness.post({ type: 'target', target: pairTarget([]) });
    await section.locator('tr[data-fault]').first().waitFor({ state: 'detached' });
  });

  it('starts a proxy from the form with port 0 and checks the upstream as typed', async () => {
    const page = await harness.open();
    await harness.post({ type: 'snapshot', settings: SETTINGS, records: [], feed: feedOf([]) });
    const form = page.getByRole('form', { name: 'Proxy' });
    assert.equal(await form.getByLabel('Listen host').inputValue(), '127.0.0.1');
    assert.equal(await form.getByLabel('Listen port').inputValue(), '0');
    await form.getByLabel('Upstream host:port').fill('localhost');
    assert.match((await page.locator('#proxy-upstream-error').textContent()) ?? '', /has no port/);
    assert.equal(await form.getByRole('button', { name: 'Start proxy' }).isDisabled(), true);
    await form.getByLabel('Upstream host:port').fill('127.0.0.1:8080');
    await harness.clearPosted();
    await form.getByRole('button', { name: 'Start proxy' }).click();
    const start = await requestOf('startProxy');
    assert.deepEqual({ ...start, requestId: 0 }, { type: 'startProxy', requestId: 0, host: '127.0.0.1', port: 0, upstream: '127.0.0.1:8080' });
  });
});
