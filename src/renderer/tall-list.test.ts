import { describe, expect, it } from 'vitest';
import { MAX_HEIGHT, tallList } from './tall-list.js';

describe('a list taller than a browser lays out', () => {
  it('is laid out row by row while it fits', () => {
    const list = tallList(1000, 20, 400);
    expect(list.height).toBe(20_000);
    expect(list.firstRow(4010)).toBe(200);
    expect(list.top(200, 4010)).toBe(4000);
    expect(list.scrollFor(200)).toBe(4000);
  });

  it('scales 10 million rows into the tallest spacer, every row still reachable', () => {
    const rows = 10_000_000;
    const view = 400;
    const list = tallList(rows, 20, view);
    expect(list.height).toBe(MAX_HEIGHT);
    const bottom = MAX_HEIGHT - view;
    expect(list.firstRow(0)).toBe(0);
    // At the bottom, the last row is on screen.
    expect(list.firstRow(bottom) + view / 20 - 1).toBe(rows - 1);
    // Moving one pixel never skips more rows than a screen scrolled away, and never goes back.
    let last = 0;
    for (let y = 0; y <= bottom; y += 997) {
      const first = list.firstRow(y);
      expect(first).toBeGreaterThanOrEqual(last);
      last = first;
    }
    // scrollFor takes a row to the top of the screen, and rows are drawn one height apart there.
    for (const row of [0, 1, 123_456, 5_000_000, rows - 20]) {
      const y = list.scrollFor(row);
      expect(Math.abs(list.firstRow(y) - row)).toBeLessThanOrEqual(1);
      const first = list.firstRow(y);
      expect(list.top(first + 3, y) - list.top(first, y)).toBe(60);
      expect(list.top(first, y)).toBe(y);
    }
  });
});
