// Where the rows of a virtualized list go when it is taller than a browser lays out: Chromium
// stops at about 33.5 million pixels, so 10 million packets of 20 px would be cut off after
// 1.7 million. Past MAX_HEIGHT the scroll range is scaled: the scroll bar's position picks the
// first row, and the rows on screen are drawn from there, one row height apart.

/** The tallest spacer the list makes (well under every browser's limit). */
export const MAX_HEIGHT = 8_000_000;

export interface TallList {
  /** The spacer's height. */
  height: number;
  /** The first row on screen at this scroll position. */
  firstRow(scrollTop: number): number;
  /** Where row `row` is drawn (its CSS top in the spacer) while scrolled to `scrollTop`. */
  top(row: number, scrollTop: number): number;
  /** The scroll position that shows `row` at the top. */
  scrollFor(row: number): number;
}

export function tallList(rows: number, rowHeight: number, viewHeight: number): TallList {
  const natural = rows * rowHeight;
  if (natural <= MAX_HEIGHT)
    return {
      height: natural,
      firstRow: (scrollTop) => Math.floor(scrollTop / rowHeight),
      top: (row) => row * rowHeight,
      scrollFor: (row) => row * rowHeight,
    };
  const onScreen = Math.max(1, Math.floor(viewHeight / rowHeight));
  const range = Math.max(1, MAX_HEIGHT - viewHeight);
  const lastFirst = Math.max(0, rows - onScreen);
  const firstRow = (scrollTop: number): number =>
    Math.min(lastFirst, Math.round((Math.max(0, scrollTop) / range) * lastFirst));
  return {
    height: MAX_HEIGHT,
    firstRow,
    top: (row, scrollTop) => scrollTop + (row - firstRow(scrollTop)) * rowHeight,
    scrollFor: (row) => (Math.min(row, lastFirst) / lastFirst) * range,
  };
}
