export { PacketIndex, NO_FLOW, type PacketIndexParts, type SectionSource } from './packet-index.js';
