import { u16, u32 } from './bytes.js';
import {
  MAX_RECORD_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  sniffPcapMagic,
} from './pcap.js';

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** Record headers that must line up one after another for a position to be taken as a boundary. */
const CHAIN = 12;
/** How far apart in time (seconds) the records of one chain may be. */
const CHAIN_SECONDS = 3600;

/**
 * A likely record boundary in a pcap file, to start a second reader there: the first position
 * in `bytes` (the file's bytes from `bytesOffset` on) where CHAIN record headers follow one
 * another with believable lengths and timestamps. A guess only: the reader of the bytes
 * before it confirms it by ending exactly there (CaptureAnalysis.canAbsorb). Returns the file
 * offset, or -1 when none is found or the file is not a plain pcap (version 2.4, 16-byte
 * record headers) this can guess in.
 */
export function guessPcapBoundary(header: Uint8Array, bytes: Uint8Array, bytesOffset: number): number {
  if (header.length < FILE_HEADER_LENGTH) return -1;
  const sniffed = sniffPcapMagic(header, 0);
  if (sniffed === null) return -1;
  const { littleEndian: le, magic } = sniffed;
  if (magic !== PCAP_MAGIC_MICROSECONDS && magic !== PCAP_MAGIC_NANOSECONDS) return -1;
  if (u16(header, 4, le) !== 2 || u16(header, 6, le) !== 4) return -1;
  const snapLength = u32(header, 16, le);
  const maxCaptured = snapLength === 0 ? MAX_RECORD_LENGTH : Math.min(snapLength, MAX_RECORD_LENGTH);
  const unitsPerSecond = magic === PCAP_MAGIC_NANOSECONDS ? 1e9 : 1e6;
  const plausible = (at: number, firstSeconds: number): number => {
    const captured = u32(bytes, at + 8, le);
    const original = u32(bytes, at + 12, le);
    if (captured === 0 || captured > maxCaptured || captured > original || original > MAX_RECORD_LENGTH)
      return -1;
    if (u32(bytes, at + 4, le) >= unitsPerSecond) return -1;
    if (Math.abs(u32(bytes, at, le) - firstSeconds) > CHAIN_SECONDS) return -1;
    return at + RECORD_HEADER_LENGTH + captured;
  };
  const last = bytes.length - RECORD_HEADER_LENGTH;
  for (let start = 0; start <= last; start++) {
    const firstSeconds = u32(bytes, start, le);
    let at = start;
    let found = 0;
    while (found < CHAIN && at <= last) {
      const next = plausible(at, firstSeconds);
      if (next < 0) break;
      found++;
      at = next;
    }
    if (found === CHAIN) return bytesOffset + start;
  }
  return -1;
}
