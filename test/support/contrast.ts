/** WCAG 2 relative luminance of a colour: `#rgb`, `#rrggbb` or a computed `rgb(r, g, b)`. */
function luminance(colour: string): number {
  let channels: number[];
  if (colour.startsWith('#')) {
    const h =
      colour.length === 4 ? [...colour.slice(1)].map((c) => c + c).join('') : colour.slice(1);
    channels = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  } else channels = (colour.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
  const [r, g, b] = channels.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG contrast ratio of two colours (1 to 21), whichever is lighter. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
