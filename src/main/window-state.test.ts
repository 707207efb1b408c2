import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW, restoreWindowState } from './window-state.js';

const screen = { x: 0, y: 0, width: 1920, height: 1080 };
const right = { x: 1920, y: 0, width: 2560, height: 1440 };

describe('restoreWindowState', () => {
  it('keeps a saved place and size that fit the screens', () => {
    expect(
      restoreWindowState({ x: 100, y: 50, width: 1400, height: 900, maximized: true }, [screen]),
    ).toEqual({
      x: 100,
      y: 50,
      width: 1400,
      height: 900,
      maximized: true,
    });
  });

  it('drops a place on a monitor that is gone, keeping the size', () => {
    const saved = { x: 2200, y: 100, width: 1600, height: 1000, maximized: false };
    expect(restoreWindowState(saved, [screen, right])).toMatchObject({ x: 2200, y: 100 });
    expect(restoreWindowState(saved, [screen])).toEqual({ width: 1600, height: 1000, maximized: false });
  });

  it('clamps sizes to the largest screen and a minimum', () => {
    expect(restoreWindowState({ width: 9000, height: 10, maximized: false }, [screen])).toEqual({
      width: 1920,
      height: 400,
      maximized: false,
    });
  });

  it('falls back to the default on anything that is not a saved state', () => {
    for (const junk of [null, 'x', 42, [], { width: 'wide', height: 1.5 }])
      expect(restoreWindowState(junk, [screen])).toEqual(DEFAULT_WINDOW);
  });
});
