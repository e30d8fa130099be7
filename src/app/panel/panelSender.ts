// Sending from a traffic panel: one send, a send with faults (each write noted in the log), or a
// repeat that runs on the host so it survives the panel being hidden.
import { Connection } from '../../core/connection';
import { TcpError } from '../../core/errors';
import { type Disposable } from '../../core/events';
import { sendWithFaults, Repeater, type WriteRecord } from '../../core/faults';
import { Listener } from '../../core/listener';
import { planWrites, summariseWrites, validateFaultOptions } from '../../shared/faultPlan';
import type { RepeatInfo, SendMessage, SendSequenceMessage } from '../../shared/protocol';
import { runSequence } from './sequenceRun';
import type { TrafficFeed } from './trafficFeed';
import { errorMessage } from '../../shared/errorMessage';

export interface SendOutcome {
  error?: string;
  detail?: string;
}

export class PanelSender implements Disposable {
  private repeater: Repeater | undefined;
  private info: RepeatInfo | undefined;
  /** The running quick-send sequence, stopped by Stop like a repeat. */
  private sequence: AbortController | undefined;

  constructor(
    private readonly target: Listener | Connection,
    private readonly feed: TrafficFeed,
    /** Something the header shows changed (repeat counter). */
    private readonly changed: () => void,
  ) {}

  get repeat(): RepeatInfo | undefined {
    return this.info && { ...this.info };
  }

  stopRepeat(): void {
    if (this.repeater?.running) this.repeater.stop();
    this.sequence?.abort();
  }

  /** Runs a quick-send sequence to the chosen recipients; resolves when it ended. */
  async handleSequence(message: SendSequenceMessage): Promise<SendOutcome> {
    if (this.sequence) return { error: 'A sequence is already running in this panel; wait for it to end or press Stop.' };
    const recipients = this.recipients(message.to);
    if (typeof recipients === 'string') return { error: recipients };
    const controller = new AbortController();
    this.sequence = controller;
    try {
      return await runSequence(
        message.steps,
        {
          encoding: message.encoding,
          send: async (bytes) => (await this.send(bytes, { type: 'send', requestId: message.requestId, data: '', ...(message.to !== undefined ? { to: message.to } : {}) })).error,
          onDidReceive: (listener) => {
            const subscriptions = recipients.map((connection) => connection.onDidReceive(listener));
            return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
          },
        },
        controller.signal,
      );
    } finally {
      this.sequence = undefined;
    }
  }

  /** Sends once, or starts a repeat; resolves with the one sentence for the reply. */
  async handle(message: SendMessage): Promise<SendOutcome> {
    const bytes = new Uint8Array(Buffer.from(message.data, 'base64'));
    if (bytes.length === 0) return { error: 'The payload is empty; type something to send.' };
    if (!message.repeat) return this.send(bytes, message);
    if (this.repeater?.running) return { error: 'A repeat is already running in this panel; stop it first.' };
    this.repeater?.dispose();
    const repeat = message.repeat;
    let repeater: Repeater;
    try {
      repeater = new Repeater(async () => {
        const outcome = await this.send(bytes, message);
        if (outcome.error !== undefined) throw new TcpError('SEND_FAILED', outcome.error);
      }, repeat);
    } catch (err) {
      return { error: errorMessage(err) };
    }
    this.repeater = repeater;
    const info: RepeatInfo = { running: true, sent: 0, intervalMs: repeat.intervalMs, ...(repeat.count !== undefined ? { count: repeat.count } : {}) };
    this.info = info;
    repeater.onDidRepeat((sent) => {
      info.sent = sent;
      this.changed();
    });
    repeater.onDidStop((outcome) => {
      info.running = false;
      info.sent = outcome.sent;
      info.outcome =
        outcome.reason === 'completed'
          ? `Sent ${outcome.sent} times.`
          : outcome.reason === 'stopped'
            ? `Stopped after ${outcome.sent} sends.`
            : `Stopped after ${outcome.sent} sends: ${outcome.error?.message ?? 'a send failed.'}`;
      this.changed();
    });
    repeater.start();
    this.changed();
    return {};
  }

  dispose(): void {
    this.repeater?.dispose();
    this.repeater = undefined;
    this.sequence?.abort();
  }

  /** The connections a send goes to: the panel's connection, one client, or every open client. */
  private recipients(to: string | undefined): Connection[] | string {
    const target = this.target;
    if (target instanceof Connection) return target.state === 'closed' ? `${target.id} is closed; reconnect to send again.` : [target];
    const clients = this.feed.connections();
    if (to === undefined || to === 'all') {
      const open = clients.filter((c) => c.writable);
      return open.length ? open : 'No client is connected to this listener yet; connect one and send again.';
    }
    const client = clients.find((c) => c.id === to);
    if (!client || client.state === 'closed') return `Client ${to} is no longer connected; pick another client or "All clients".`;
    return [client];
  }

  private async send(bytes: Uint8Array, message: SendMessage): Promise<SendOutcome> {
    const recipients = this.recipients(message.to);
    if (typeof recipients === 'string') return { error: recipients };
    const copies = message.copies ?? 1;
    if (message.faults === undefined && copies === 1) {
      try {
        const target = this.target;
        if (target instanceof Listener && (message.to === undefined || message.to === 'all')) await target.broadcast(bytes);
        else await recipients[0].send(bytes);
        return {};
      } catch (err) {
        return { error: errorMessage(err) };
      }
    }
    const checked = validateFaultOptions(message.faults, 'faults');
    if (!checked.ok) return { error: checked.error };
    const payloads = Array.from({ length: copies }, () => bytes);
    const plan = planWrites(payloads, checked.options);
    if (!plan.ok) return { error: plan.error };
    const results = await Promise.all(
      recipients.map(async (connection) => {
        // Outgoing records made while this send runs are its writes: the log says which one and when.
        let written = 0;
        const startedAt = Date.now();
        this.feed.setOutgoingNote(connection.id, (record) => `write ${++written} of ${plan.writes.length} at +${Math.max(0, record.time - startedAt)} ms`);
        try {
          const result = await sendWithFaults(connection, payloads, checked.options);
          return { connection, writes: result.writes, after: result.after };
        } catch (err) {
          return { connection, error: errorMessage(err), writes: ((err as { writes?: WriteRecord[] }).writes ?? []) as WriteRecord[] };
        } finally {
          this.feed.setOutgoingNote(connection.id, undefined);
        }
      }),
    );
    const failed = results.find((r) => 'error' in r && r.error !== undefined);
    const first = results[0];
    const after = checked.options.after === 'halfClose' ? ', then half-closed (FIN)' : checked.options.after === 'reset' ? ', then reset (RST)' : '';
    const detail = `${recipients.length > 1 ? `To ${recipients.length} clients, each: ` : ''}${summariseWrites(first.writes)}${after}.`;
    if (failed && 'error' in failed) return { error: `${failed.connection.id}: ${failed.error}`, detail };
    return { detail };
  }
}
