/** A promise that one side awaits (`wait`) and another settles when it chooses (`fire`). */
export function signal(): { wait: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const wait = new Promise<void>((r) => (fire = r));
  return { wait, fire };
}
