/**
 * UTF-8 bytes to a string, replacing malformed sequences with U+FFFD. Core has no
 * TextDecoder in its type world (it is a Web/Node API, not ECMAScript), and the strings
 * it reads (interface names, comments) are short and rare, so a small decoder serves.
 * A trailing NUL padding, as some writers leave in pcapng options, is dropped.
 */
export function utf8(b: Uint8Array, start: number, end: number): string {
  while (end > start && b[end - 1] === 0) end--;
  let out = '';
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
    } else {
      out += '\ufffd';
      i++;
      continue;
    }
    if (i + need >= end) {
      out += '\ufffd';
      break;
    }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if ((cc & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
