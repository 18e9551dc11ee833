import { printable } from './printable.js';

/** What one command takes after its name: switches, options with a value, and how many words. */
export interface ArgumentSpec {
  /** Options without a value, e.g. --dry-run. */
  switches?: readonly string[];
  /** Options followed by their value, e.g. --rejects FILE. */
  valued?: readonly string[];
  /** Words that are not options (an action included), e.g. 2 for "import FILE". */
  words: number;
}

/** An option, not a word: --name, or one letter after a dash (an address may start with one). */
const looksLikeOption = (arg: string) => arg.startsWith('--') || /^-[A-Za-z]$/.test(arg);

/** The words of `args` that are neither options nor their values, in order. */
export function wordsOf(args: readonly string[], spec: ArgumentSpec): string[] {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (spec.valued?.includes(args[i]!)) i++;
    else if (!looksLikeOption(args[i]!)) words.push(args[i]!);
  }
  return words;
}

/**
 * Why `args` hold something the command does not take, in one line, or null. A mistyped
 * option (`--dryrun`) or a second file must not be ignored: the command would run as if it
 * had been understood (a real import instead of a dry run, a user with full access instead of
 * a read-only one, one list imported of two).
 */
export function unexpectedArgument(
  command: string,
  args: readonly string[],
  spec: ArgumentSpec,
): string | null {
  const see = `(see "durable-unsubscribe ${command.split(' ')[0]} --help")`;
  const takes = (arg: string | undefined) =>
    arg !== undefined && (spec.valued?.includes(arg) || spec.switches?.includes(arg));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    // Its value missing (the last word, or another of the command's options in its place):
    // the command would run without it, as if it had not been given.
    if (spec.valued?.includes(arg) && (i + 1 >= args.length || takes(args[i + 1])))
      return `${command}: ${arg} needs a value ${see}`;
    if (spec.valued?.includes(arg)) i++;
    else if (looksLikeOption(arg) && !spec.switches?.includes(arg))
      return `${command}: unknown option ${printable(arg)} ${see}`;
  }
  const extra = wordsOf(args, spec)[spec.words];
  return extra === undefined
    ? null
    : `${command}: unexpected argument "${printable(extra)}" ${see}`;
}
