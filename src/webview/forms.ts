// The Listen and Connect forms a panel shows before it has a target, with inline validation; on
// success the host re-targets the panel and sends a fresh snapshot.
import { formatHostPort, parseHostPort, unbracketHost, validateHostText, validatePortText } from '../shared/hostPort';
import { el } from './dom';
import type { PanelContext, RestartTarget } from './panelState';
import { t } from '../shared/l10n';

type FieldCheck = (value: string) => string | undefined;

// The forms accept what the host will: one host:port definition, shared with the input boxes and the engine.
function checkHost(value: string): string | undefined {
  return validateHostText(unbracketHost(value.trim()));
}

function checkPort(allowZero: boolean): FieldCheck {
  return (value) => validatePortText(value, { allowZeroPort: allowZero });
}

function field(id: string, label: string, value: string, check: FieldCheck, onInput: () => void): { root: HTMLElement; input: HTMLInputElement; valid(): boolean } {
  const error = el('div', { className: 'field-error', attrs: { id: `${id}-error`, 'aria-live': 'polite' } });
  const input = el('input', { attrs: { id, type: 'text', spellcheck: 'false', 'aria-describedby': `${id}-error` } });
  input.value = value;
  const validate = (): boolean => {
    const problem = check(input.value);
    error.textContent = problem ?? '';
    input.setAttribute('aria-invalid', String(problem !== undefined));
    return problem === undefined;
  };
  input.addEventListener('input', () => {
    validate();
    onInput();
  });
  return { root: el('div', { className: 'field' }, [el('label', { text: label, attrs: { for: id } }), input, error]), input, valid: () => check(input.value) === undefined };
}

function endpointForm(ctx: PanelContext, kind: 'listen' | 'connect', previous?: RestartTarget): HTMLElement {
  const listen = kind === 'listen';
  const formError = el('div', { className: 'form-error', attrs: { role: 'alert' } });
  const button = el('button', { text: listen ? t('Start') : t('Connect'), attrs: { type: 'submit' } });
  let busy = false;
  const refresh = (): void => {
    button.disabled = busy || !host.valid() || !port.valid();
  };
  const again = previous?.kind === kind ? previous : undefined;
  const host = field(`${kind}-host`, t('Host'), again?.host ?? (listen ? ctx.settings().defaultHost : '127.0.0.1'), checkHost, refresh);
  const port = field(`${kind}-port`, t('Port'), again ? String(again.port) : listen ? '0' : '', checkPort(listen), refresh);
  // Connect only: TLS with Node's root store, or accepting any certificate (the problems still show).
  const tlsBox = el('input', { attrs: { id: `${kind}-tls`, type: 'checkbox' } });
  const insecureBox = el('input', { attrs: { id: `${kind}-tls-insecure`, type: 'checkbox' } });
  const tlsOptions = listen
    ? [el('div', { className: 'field checkbox' }, [tlsBox, el('label', { text: t('TLS with the local certificate authority'), attrs: { for: `${kind}-tls` } })])]
    : [
        el('div', { className: 'field checkbox' }, [tlsBox, el('label', { text: 'TLS (tls://)', attrs: { for: `${kind}-tls` } })]),
        el('div', { className: 'field checkbox' }, [insecureBox, el('label', { text: t('Accept any certificate (problems are still shown)'), attrs: { for: `${kind}-tls-insecure` } })]),
      ];
  insecureBox.addEventListener('change', () => {
    if (insecureBox.checked) tlsBox.checked = true;
  });
  const form = el('form', { className: 'endpoint-form', attrs: { 'aria-label': listen ? t('Listen') : t('Connect') } }, [
    el('h2', { text: listen ? t('Listen') : t('Connect') }),
    el('p', { className: 'hint', text: listen ? t('Accept TCP clients on a local address.') : t('Open a TCP connection to a server.') }),
    host.root,
    port.root,
    ...tlsOptions,
    el('div', { className: 'actions' }, [button]),
    formError,
  ]);
  if (again) {
    // One click brings back what the reload closed; the fields stay editable for another choice.
    const where = formatHostPort(again.host, again.port);
    button.textContent = listen ? t('Restart on {0}', where) : t('Reconnect to {0}', where);
    button.classList.add('primary');
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !host.valid() || !port.valid()) return;
    busy = true;
    refresh();
    formError.textContent = '';
    const target = { host: host.input.value.trim(), port: Number(port.input.value.trim()) };
    const reply = await ctx.request(
      !tlsBox.checked
        ? { type: kind, ...target }
        : kind === 'connect'
          ? { type: kind, ...target, tls: insecureBox.checked ? { insecure: true } : {} }
          : { type: kind, ...target, tls: true },
    );
    // On success the host re-targets this panel and sends a fresh snapshot; the button stays
    // disabled until then so a double click cannot open two sockets.
    if (!reply.ok) {
      busy = false;
      refresh();
      formError.textContent = reply.error ?? t('That did not work.');
    }
  });
  refresh();
  return form;
}

function checkUpstream(value: string): string | undefined {
  const parsed = parseHostPort(value);
  return parsed.ok ? undefined : parsed.message;
}

/** Start Proxy: a local address (port 0 = any free one) and the upstream every client is relayed to. */
function proxyForm(ctx: PanelContext): HTMLElement {
  const formError = el('div', { className: 'form-error', attrs: { role: 'alert' } });
  const button = el('button', { text: t('Start proxy'), attrs: { type: 'submit' } });
  let busy = false;
  const refresh = (): void => {
    button.disabled = busy || !host.valid() || !port.valid() || !upstream.valid();
  };
  const host = field('proxy-host', t('Listen host'), ctx.settings().defaultHost, checkHost, refresh);
  const port = field('proxy-port', t('Listen port'), '0', checkPort(true), refresh);
  const upstream = field('proxy-upstream', t('Upstream host:port'), '', checkUpstream, refresh);
  upstream.input.placeholder = '127.0.0.1:8080';
  const form = el('form', { className: 'endpoint-form', attrs: { 'aria-label': t('Proxy') } }, [
    el('h2', { text: t('Proxy') }),
    el('p', { className: 'hint', text: t('Sit between a client and its server: relay each client to the upstream, watch both directions, add faults.') }),
    host.root,
    port.root,
    upstream.root,
    el('div', { className: 'actions' }, [button]),
    formError,
  ]);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !host.valid() || !port.valid() || !upstream.valid()) return;
    busy = true;
    refresh();
    formError.textContent = '';
    const reply = await ctx.request({ type: 'startProxy', host: host.input.value.trim(), port: Number(port.input.value.trim()), upstream: upstream.input.value.trim() });
    if (!reply.ok) {
      busy = false;
      refresh();
      formError.textContent = reply.error ?? t('The proxy did not start.');
    }
  });
  refresh();
  return form;
}

/**
 * The Listen and Connect forms of a panel that shows nothing yet. After a reload closed what the
 * panel showed, `previous` fills its form in and offers to start it again, first.
 */
export function renderForms(app: HTMLElement, ctx: PanelContext, notice?: string, previous?: RestartTarget): void {
  const forms = [endpointForm(ctx, 'listen', previous), endpointForm(ctx, 'connect', previous)];
  if (previous?.kind === 'connect') forms.reverse();
  forms.push(proxyForm(ctx));
  app.replaceChildren(
    el('div', { className: 'forms' }, [notice ? el('p', { className: 'notice', text: notice, attrs: { role: 'status' } }) : undefined, ...forms]),
  );
}
