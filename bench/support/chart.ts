/**
 * bench/chart.svg: the figures of one run as horizontal bars, one panel per measure, each bar
 * labelled with its value. Plain SVG text, no dependency.
 */

export interface Bar {
  label: string;
  value: number | null;
  /** How the value is printed beside its bar. */
  text: string;
  /** Bars of the measured code are drawn darker than the ones beside them. */
  ours?: boolean;
}

export interface Panel {
  title: string;
  bars: Bar[];
  /** Draw lengths on a log scale (for values that differ by orders of magnitude). */
  log?: boolean;
}

const WIDTH = 760;
const LABEL = 230;
const BAR_MAX = 380;
const ROW = 22;

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function chart(title: string, panels: readonly Panel[]): string {
  const parts: string[] = [];
  let y = 34;
  parts.push(`<text x="12" y="22" font-size="15" font-weight="bold">${xml(title)}</text>`);
  for (const panel of panels) {
    y += 14;
    parts.push(
      `<text x="12" y="${y}" font-size="13" font-weight="bold">${xml(panel.title)}</text>`,
    );
    y += 8;
    const values = panel.bars.map((bar) => bar.value ?? 0).filter((value) => value > 0);
    const max = Math.max(...values, 1);
    const scale = (value: number) =>
      panel.log ? (Math.log10(1 + value) / Math.log10(1 + max)) * BAR_MAX : (value / max) * BAR_MAX;
    for (const bar of panel.bars) {
      const length = bar.value === null ? 0 : Math.max(1, scale(bar.value));
      const fill = bar.ours === true ? "#1f6feb" : "#9aa7b5";
      parts.push(
        `<text x="${LABEL - 8}" y="${y + 14}" font-size="12" text-anchor="end">${xml(bar.label)}</text>`,
        `<rect x="${LABEL}" y="${y + 3}" width="${length.toFixed(1)}" height="${ROW - 6}" fill="${fill}"/>`,
        `<text x="${LABEL + length + 6}" y="${y + 14}" font-size="12">${xml(bar.text)}</text>`,
      );
      y += ROW;
    }
    y += 6;
  }
  const height = y + 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">
<title>${xml(title)}</title>
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join("\n")}
</svg>
`;
}
