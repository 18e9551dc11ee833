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
