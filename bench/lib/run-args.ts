/**
 * bench/run.ts's command line, read strictly: `--help` prints the usage, and an option the
 * benchmark does not know (a typo, `--scenario` for `--scenarios`) is refused before anything
 * runs. Read loosely, either started a full run that replaced the committed figures.
 */

/** Options taking a value, and flags. */
const VALUED = [
  '--json',
  '--docs',
  '--engines',
  '--scenarios',
  '--duration',
  '--service-node-options',
] as const;
const FLAGS = [
  '--quick',
  '--no-scaling',
  '--allow-failures',
  '--from-source',
  '--no-vacuum',
  '--help',
] as const;

export const RUN_USAGE = `usage: node --import tsx bench/run.ts [options]
  (none)                      full run: writes docs/benchmarks.md and docs/benchmarks.json
  --quick                     short run (CI); JSON to a temp dir only
  --json FILE, --docs FILE    where the figures go
  --engines sqlite,postgres   engines (PostgreSQL needs DATABASE_URL)
  --scenarios a,b             scenarios by name
  --no-scaling                without the sharing curve and the 10,000 people
  --duration S                seconds per measured load
  --service-node-options O    node options of the service's processes
  --from-source               run the service through tsx instead of dist/
  --no-vacuum                 PostgreSQL analysed after seeding only (the method before vacuuming)
  --allow-failures            report unmet targets without failing
Any option narrowing a run keeps it out of docs/ unless --docs or --json names a file.`;

export type RunArgs =
  { help: true } | { help: false; values: Map<string, string>; flags: Set<string> };

/** `args` read, or an Error naming the first option not known or missing its value. */
export function readRunArgs(args: readonly string[]): RunArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    if ((VALUED as readonly string[]).includes(a)) {
      const v = args[i + 1];
      // Node options are themselves dashed ('--max-semi-space-size=16'): any text is theirs.
      const dashed = v?.startsWith('--') && a !== '--service-node-options';
      if (v === undefined || dashed) throw new Error(`${a} needs a value\n${RUN_USAGE}`);
      if (a === '--duration' && !(Number(v) > 0))
        throw new Error(`--duration takes seconds above 0, not ${JSON.stringify(v)}`);
      values.set(a, v);
      i++;
    } else if ((FLAGS as readonly string[]).includes(a)) flags.add(a);
    else throw new Error(`unknown option ${JSON.stringify(a)}\n${RUN_USAGE}`);
  }
  return { help: false, values, flags };
}
