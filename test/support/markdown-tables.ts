/**
 * Markdown tables compared by their cells, not their padding: Biome aligns the columns of the
 * tables a script writes, and a page must still count as showing them.
 */
export function tableCells(markdown: string): string {
  return markdown
    .split("\n")
    .map((line) => {
      if (!line.trim().startsWith("|")) return line.trim();
      const cells = line
        .trim()
        .split("|")
        .map((cell) => cell.trim());
      return cells.map((cell) => (/^:?-+:?$/.test(cell) ? "---" : cell)).join("|");
    })
    .join("\n");
}
