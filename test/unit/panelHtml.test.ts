import * as assert from 'node:assert/strict';
import { renderPanelHtml } from '../../src/app/panelHtml';

describe('renderPanelHtml', () => {
  const html = renderPanelHtml({ cspSource: 'https://webview.example', nonce: 'abc123+/=', scriptUri: 'https://webview.example/dist/webview.js', styleUri: 'https://webview.example/media/panel.css', codiconsUri: 'https://webview.example/dist/codicons/codicon.css', title: 'TCP "C1" <x>' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';

  it('locks the page down: nothing by default, one nonce for scripts, styles and fonts from the webview only', () => {
    const directives = csp.split(';').map((d) => d.trim());
    assert.equal(directives[0], "default-src 'none'");
    assert.ok(directives.includes("script-src 'nonce-abc123+/='"));
    assert.ok(directives.includes('style-src https://webview.example'));
    assert.ok(directives.includes('font-src https://webview.example'));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });

  it('carries exactly one script, with the nonce, and no inline code or handlers', () => {
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="abc123+/=" src="https://webview.example/dist/webview.js">']);
    assert.match(html, /<script[^>]*><\/script>/);
    assert.doesNotMatch(html, /\son[a-z]+=/i);
  });

  it('links the codicon stylesheet before panel.css, so the panel may restyle the icons', () => {
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]*)">/g)].map((m) => m[1]);
    assert.deepEqual(sheets, ['https://webview.example/dist/codicons/codicon.css', 'https://webview.example/media/panel.css']);
  });

  it('escapes the title', () => {
    assert.match(html, /<title>TCP &quot;C1&quot; &lt;x&gt;<\/title>/);
  });
});
