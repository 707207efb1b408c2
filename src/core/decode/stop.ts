/** Why decoding of a packet ended. 'end' is the normal case: nothing more we decode. */
export type StopReason =
  'end' | 'unsupported' | 'fragment' | 'truncated' | 'malformed' | 'too-deep' | 'unknown-link-type';

/**
 * Where and why a packet's decode stopped, filled in place (one per DecodedPacket) so a
 * bad packet costs no allocation. Offsets are absolute in the record's `bytes`; the packet
 * decoder converts them to packet-relative ones for reports.
 *
 * Modelled on etherparse's LenError: the layer, what it needed, what was there, and which
 * length field set the limit ('captured' for the snaplen, 'ipv4.totalLength', 'udp.length'...).
 */
export class DecodeStop {
  reason: StopReason = 'end';
  layer = '';
  offset = 0;
  need = 0;
  have = 0;
  lengthFrom = '';
  /** For 'malformed' and 'unsupported': a fixed phrase, e.g. 'ip version is not 4'. */
  detail = '';
  /** For 'unsupported': the protocol number nobody decodes (ethertype, IP protocol...). */
  value = 0;

  reset(): void {
    this.reason = 'end';
    this.layer = '';
    this.offset = 0;
    this.need = 0;
    this.have = 0;
    this.lengthFrom = '';
    this.detail = '';
    this.value = 0;
  }
}

export const enum Status {
  OK = 0,
  TRUNCATED = 1,
  MALFORMED = 2,
}

/** Marks `stop` truncated: `layer` needed `need` bytes at `offset` and `have` were there. */
export function truncated(
  stop: DecodeStop,
  layer: string,
  offset: number,
  need: number,
  have: number,
  lengthFrom: string,
): number {
  stop.reason = 'truncated';
  stop.layer = layer;
  stop.offset = offset;
  stop.need = need;
  stop.have = have < 0 ? 0 : have;
  stop.lengthFrom = lengthFrom;
  return Status.TRUNCATED;
}

/** Marks `stop` malformed: a field at `offset` holds a value the protocol forbids. */
export function malformed(
  stop: DecodeStop,
  layer: string,
  offset: number,
  detail: string,
  value: number,
): number {
  stop.reason = 'malformed';
  stop.layer = layer;
  stop.offset = offset;
  stop.detail = detail;
  stop.value = value;
  return Status.MALFORMED;
}
