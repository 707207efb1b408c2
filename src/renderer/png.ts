// A picture of part of the page (a chart, the path diagram) as a PNG, drawn by the browser
// itself: the element is copied into an SVG <foreignObject> with the page's style sheet and the
// theme's colours, loaded as an image, and painted on a canvas. Works the same in the desktop app
// and in web mode, and needs nothing the Content-Security-Policy forbids (a data: image).
import { saveBlob } from './download.js';

/** The page's own style rules, as text (same-origin sheets only: ours). */
function styleText(): string {
  const parts: string[] = [];
  for (const sheet of Array.from(document.styleSheets)) {
    try {
      for (const rule of Array.from(sheet.cssRules)) parts.push(rule.cssText);
    } catch {
      // A sheet from another origin cannot be read; the page has none.
    }
  }
  return parts.join('\n');
}

/** The theme's custom properties as they resolve now (light or dark), for the picture's root. */
function themeVariables(): string {
  const computed = getComputedStyle(document.documentElement);
  const names = new Set<string>();
  for (const sheet of Array.from(document.styleSheets)) {
    try {
      for (const rule of Array.from(sheet.cssRules)) {
        const text = rule.cssText;
        for (const m of text.matchAll(/(--[\w-]+)\s*:/g)) names.add(m[1]);
      }
    } catch {
      // as above
    }
  }
  return [...names].map((n) => `${n}: ${computed.getPropertyValue(n).trim()}`).join('; ');
}

const attribute = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * `element` copied inside empty copies of its ancestors, so descendant selectors still match;
 * the copies take no room (display: contents), so the ancestors' layout does not squeeze it.
 */
function withAncestors(element: HTMLElement, width: number): Element {
  const copy = element.cloneNode(true) as HTMLElement;
  copy.style.width = `${width}px`;
  copy.style.margin = '0';
  let node: Element = copy;
  for (
    let parent = element.parentElement;
    parent !== null && parent !== document.body;
    parent = parent.parentElement
  ) {
    const shell = document.createElement(parent.tagName.toLowerCase());
    if (parent.className) shell.className = parent.className;
    shell.style.display = 'contents';
    shell.appendChild(node);
    node = shell;
  }
  return node;
}

/** Draws `element` (all of it, scrolled-out parts too) into a PNG at `scale` device pixels per CSS pixel. */
/**
 * The room `element` needs with nothing scrolled away: its width (or more, where content
 * overflows), and the height down to its lowest content, not the empty space it fills on screen.
 */
function fullSize(element: HTMLElement): { width: number; height: number } {
  const origin = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  let width = Math.max(element.scrollWidth, origin.width);
  let bottom = 0;
  for (const e of Array.from(element.querySelectorAll('*'))) {
    const box = e.getBoundingClientRect();
    width = Math.max(width, box.left - origin.left + Math.max(box.width, e.scrollWidth));
    bottom = Math.max(bottom, box.top - origin.top + Math.max(box.height, e.scrollHeight));
  }
  const height = bottom === 0 ? origin.height : bottom + parseFloat(style.paddingBottom || '0');
  return { width: Math.ceil(width), height: Math.ceil(height) };
}

/** What a picture leaves out or lays out differently: scroll bars, and the save buttons themselves. */
const PICTURE_RULES = `.png-root * { overflow: visible !important; scrollbar-width: none; }
.png-root .png { display: none; }`;

export async function elementToPng(element: HTMLElement, scale = 2): Promise<Blob> {
  const { width, height } = fullSize(element);
  const background = getComputedStyle(document.documentElement).backgroundColor;
  const body = new XMLSerializer().serializeToString(withAncestors(element, width));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<style><![CDATA[${styleText()}\n${PICTURE_RULES}]]></style>` +
    `<foreignObject x="0" y="0" width="100%" height="100%">` +
    `<div xmlns="http://www.w3.org/1999/xhtml" class="png-root" style="${attribute(themeVariables())}; background: ${background}; width: ${width}px; height: ${height}px; overflow: hidden">` +
    body +
    `</div></foreignObject></svg>`;
  const image = new Image();
  image.width = width;
  image.height = height;
  await new Promise<void>((resolve, reject) => {
    image.onload = () => resolve();
    image.onerror = () => reject(new Error('the picture could not be drawn'));
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  canvas.height = height * scale;
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('the picture could not be drawn (no canvas)');
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
      'image/png',
    ),
  );
}

/** A file name from words: `podpath-<words>.png`. */
export function pngName(words: string): string {
  const slug = words
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `podpath-${slug || 'picture'}.png`;
}

/** Saves `element` as a PNG named after `title`. */
export function savePicture(
  element: HTMLElement | null,
  title: string,
  onError: (error: unknown) => void,
): void {
  if (element === null) return;
  elementToPng(element).then((png) => saveBlob(pngName(title), png), onError);
}
