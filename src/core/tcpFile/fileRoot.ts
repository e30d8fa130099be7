// Where `SEND file` may read from. A `.tcp` file comes with the repository it lives in, so by
// default it may only send files of that repository (the workspace folder in the editor, the
// `.tcp` file's directory or `--root` in the CLI). Containment is checked on real paths: a symlink
// inside the folder that points at ~/.ssh is outside, and `../` or an absolute path cannot escape.
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';

export interface FileRoot {
  /** The folder files must be inside. */
  dir: string;
  /** The user opted out (setting or CLI flag): any readable file may be sent. */
  allowOutside: boolean;
  /** How the user allows outside files, ending the refusal sentence, e.g. `pass --allow-outside-root`. */
  howToAllow: string;
}

export type FileResolution = { ok: true; path: string } | { ok: false; error: string };

/** Is `target` the folder `dir` itself or below it? Both must already be real, absolute paths. */
export function isInside(dir: string, target: string): boolean {
  const relative = path.relative(dir, target);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

function readError(requested: string, err: unknown): FileResolution {
  const code = (err as { code?: string }).code ?? 'error';
  return { ok: false, error: `Cannot read '${requested}' (${code}): check the path, which is relative to the .tcp file.` };
}

/**
 * The real path a `SEND file` line may read, or one sentence saying why not. `requested` is the path
 * as written after `{{variables}}` were substituted; it is relative to `baseDir`.
 */
export async function resolveSendFile(requested: string, baseDir: string, root: FileRoot, what = 'SEND file'): Promise<FileResolution> {
  const full = path.resolve(baseDir, requested);
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    return readError(requested, err);
  }
  if (root.allowOutside) return { ok: true, path: real };
  let realRoot: string;
  try {
    realRoot = await realpath(root.dir);
  } catch {
    return { ok: false, error: `${what} '${requested}' is refused because the folder it must be inside (${root.dir}) cannot be read; ${root.howToAllow}.` };
  }
  if (isInside(realRoot, real)) return { ok: true, path: real };
  const via = real === full ? '' : ` (it resolves to ${real})`;
  return {
    ok: false,
    error: `${what} '${requested}'${via} is outside ${realRoot} and is not sent: move the file inside that folder, or ${root.howToAllow}.`,
  };
}
