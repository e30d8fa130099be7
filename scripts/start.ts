// `npm start`: package TCP Lab, install code-server once (cached), and run the extension in it on
// 127.0.0.1 with the sample workspace until Ctrl+C. No desktop VS Code needed.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { codeServerDirs, extensionId, installExtension, isPortFree, freePort, packagedVsixPath, repoRoot, startCodeServer, writeUserSettings } from './codeServer';
import { ensureCodeServer } from './installCodeServer';

async function main(): Promise<void> {
  const packaged = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  if (packaged.status !== 0) throw new Error('`npm run package` failed; fix the errors above and run `npm start` again.');

  const entry = ensureCodeServer();
  // Kept between runs (git-ignored) so the window layout and user settings survive a restart.
  const dirs = codeServerDirs(join(repoRoot, '.e2e', 'start'));
  writeUserSettings(dirs, { 'workbench.colorTheme': 'Default Dark Modern' });
  installExtension(entry, dirs, packagedVsixPath());

  const wanted = Number(process.env.PORT ?? 8080);
  const port = Number.isInteger(wanted) && wanted > 0 && (await isPortFree(wanted)) ? wanted : await freePort();
  const workspace = join(repoRoot, 'samples', 'workspace');
  const logPath = join(dirs.root, 'code-server.log');
  const server = await startCodeServer({ entry, dirs, workspace, port, logPath });

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping code-server…\n');
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.on('SIGHUP', shutdown);

  process.stdout.write(
    `\nTCP Lab (${extensionId()}) is running in code-server with the sample workspace:\n\n    ${server.url}\n\n` +
      `Open it in a browser; the TCP Lab view is in the activity bar. Server log: ${logPath}\nPress Ctrl+C to stop.\n`,
  );
  const code = await server.exited;
  if (!stopping) {
    process.stderr.write(`code-server exited on its own (code ${String(code)}); see ${logPath}.\n`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
