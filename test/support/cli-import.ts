/** The command line's `suppressions import`, run as an operator runs it: a process of its own. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BUILT_CLI } from './service-process.js';

/** `suppressions import` of `emails` by the command line, a process of its own. */
export async function cliImport(env: Record<string, string>, emails: string[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-race-import-'));
  try {
    const file = path.join(dir, 'list.csv');
    fs.writeFileSync(file, `email\n${emails.join('\n')}\n`);
    const child = spawn(process.execPath, [BUILT_CLI, 'suppressions', 'import', file], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out).to.equal(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
