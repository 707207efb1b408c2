export { PacketIndex, NO_FLOW, type SectionSource } from './packet-index.js';
