import type { CaptureRecord } from '../capture/index.js';
import type { DecodedPacket } from '../decode/index.js';
import type { PacketObserver } from './capture-analysis.js';

/** One observer that hands each packet to several in turn (say the charts and the packet index). */
export class ObserverList implements PacketObserver {
  private readonly observers: readonly PacketObserver[];

  constructor(...observers: PacketObserver[]) {
    this.observers = observers;
  }

  packet(p: DecodedPacket, r: CaptureRecord, flow: number, direction: number): void {
    const list = this.observers;
    for (let i = 0; i < list.length; i++) list[i].packet(p, r, flow, direction);
  }
}
