// Screenshots and failure logs of one scenario file, in its own folder under test-results/e2e.
// Mocha loads the e2e files in no fixed order and another file empties test-results/e2e when it
// starts, so everything written here is also kept in memory and written again by restore(), which
// the file calls from a root-level after hook (those run once every file has finished).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsDir, type E2ESession } from './session';

export class ScenarioArtifacts {
  private readonly written = new Map<string, Buffer | string>();
  private shotCount = 0;
  readonly folder: string;

  constructor(name: string) {
    this.folder = join(resultsDir, name);
  }

  /** Empties this file's folder, so every artifact in it belongs to the current run. */
  reset(): void {
    rmSync(this.folder, { recursive: true, force: true });
    this.written.clear();
    this.shotCount = 0;
  }

  /** A numbered screenshot of the whole window. */
  async shot(session: E2ESession, step: string): Promise<void> {
    this.shotCount += 1;
    const file = `${String(this.shotCount).padStart(2, '0')}-${slug(step)}.png`;
    // A screenshot is evidence, not the test: a failure to take one is reported, never fatal.
    const image = await session.page.screenshot().catch((err: unknown) => console.error(`screenshot ${file} failed: ${String(err)}`));
    if (image) this.write(file, image);
  }

  /** What explains a failure: a screenshot at that moment, the code-server log and the browser console. */
  async keepFailure(session: E2ESession, testTitle: string): Promise<void> {
    const name = `FAILED-${slug(testTitle).slice(0, 60)}`;
    const image = await session.page.screenshot().catch(() => undefined);
    if (image) this.write(`${name}.png`, image);
    this.write(`${name}.code-server.log`, session.server.logText());
    this.write(`${name}.browser-console.log`, `${session.consoleLines.join('\n')}\n`);
  }

  /**
   * The mocha hooks of a scenario file's describe(): keep the evidence of each failed test, and at
   * the end run `cleanup` (peers) and stop the session, whatever happened.
   */
  sessionHooks(current: () => E2ESession | undefined, cleanup: () => void = () => undefined): void {
    // Mocha hands its context to `function` hooks as `this`, so the artifacts are reached through a closure.
    const keep = (session: E2ESession, title: string): Promise<void> => this.keepFailure(session, title);
    afterEach(async function () {
      this.timeout(30_000);
      const session = current();
      if (session && this.currentTest?.state === 'failed') await keep(session, this.currentTest.fullTitle());
    });
    after(async function () {
      this.timeout(30_000);
      cleanup();
      await current()?.dispose();
    });
  }

  /** Writes again whatever a later reset of the results folder removed. */
  restore(): void {
    for (const [file, data] of this.written) {
      if (!existsSync(join(this.folder, file))) this.save(file, data);
    }
  }

  private write(file: string, data: Buffer | string): void {
    this.written.set(file, data);
    this.save(file, data);
  }

  private save(file: string, data: Buffer | string): void {
    mkdirSync(this.folder, { recursive: true });
    writeFileSync(join(this.folder, file), data);
  }
}

function slug(text: string): string {
  return text.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}
