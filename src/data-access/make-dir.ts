import fs from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p` for the data directory, each directory it makes owner-only (0700). node's own
 * `mkdirSync(dir, { recursive: true })` never returns for a path under a file system that
 * refuses new entries with ENOENT, such as /proc (DATA_DIR=/proc/x: the start hung, spinning,
 * deaf to SIGTERM); here each missing directory is made in turn, from the first that exists,
 * and the first refusal is thrown.
 */
export function makeDataDir(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  // As mkdir says of a file where the directory should be (EEXIST).
  if (fs.existsSync(at) && !fs.statSync(at).isDirectory())
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${at}'`), {
      code: 'EEXIST',
    });
  while (!fs.existsSync(at)) {
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const made of missing.reverse()) {
    try {
      fs.mkdirSync(made, { mode: 0o700 });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Makes an existing file of the data directory readable by its owner alone (0600) when others
 * may read it (copied back from a backup under a permissive umask, say): the directory is made
 * 0700 too, but not one this user does not own (a shared directory), where such a file stays
 * readable to anyone. A file this user cannot change is left as it is.
 */
export function keepOwnerOnly(file: string): void {
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch {
    // Gone, or not this user's: nothing more to do from here.
  }
}
