// The window's size, place and maximized state, kept between runs. Free of Electron so the
// checks on what was read back can be tested: a file from another monitor layout must not put
// the window off every screen.
export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 800, maximized: false };
const MIN_WIDTH = 640;
const MIN_HEIGHT = 400;
/** How much of the title bar must be on some screen for the old place to be kept. */
const VISIBLE = 64;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * The state to open with, from what was saved (any JSON value) and the screens' work areas now:
 * sizes are clamped to the largest screen, and a place off every screen is dropped (the window
 * is then centred).
 */
export function restoreWindowState(saved: unknown, screens: readonly Area[]): WindowState {
  if (typeof saved !== 'object' || saved === null) return { ...DEFAULT_WINDOW };
  const s = saved as Record<string, unknown>;
  const maxWidth = Math.max(MIN_WIDTH, ...screens.map((a) => a.width));
  const maxHeight = Math.max(MIN_HEIGHT, ...screens.map((a) => a.height));
  const width = isInt(s['width'])
    ? Math.min(Math.max(s['width'], MIN_WIDTH), maxWidth)
    : DEFAULT_WINDOW.width;
  const height = isInt(s['height'])
    ? Math.min(Math.max(s['height'], MIN_HEIGHT), maxHeight)
    : DEFAULT_WINDOW.height;
  const state: WindowState = { width, height, maximized: s['maximized'] === true };
  const x = s['x'];
  const y = s['y'];
  if (isInt(x) && isInt(y)) {
    const titleOnScreen = screens.some(
      (a) =>
        x + width - VISIBLE >= a.x &&
        x + VISIBLE <= a.x + a.width &&
        y >= a.y &&
        y + VISIBLE <= a.y + a.height,
    );
    if (titleOnScreen) {
      state.x = x;
      state.y = y;
    }
  }
  return state;
}
