// Reads either capture format, telling them apart by their first four bytes.

import { KubewireError } from '../errors.ts';
import { readPcap } from './pcap.ts';
import { BT_SHB, readPcapng } from './pcapng.ts';
import type { CaptureFile } from './types.ts';

export function readCapture(file: Uint8Array): CaptureFile {
  if (file.length < 4) throw new KubewireError(`capture file: ${file.length} bytes is too short`);
  const m = new DataView(file.buffer, file.byteOffset, 4).getUint32(0, true);
  if (m === BT_SHB) {
    const r = readPcapng(file);
    return { format: 'pcapng', interfaces: r.interfaces, packets: r.packets };
  }
  const r = readPcap(file);
  return { format: 'pcap', interfaces: [{ linkType: r.linkType, snapLen: r.snapLen }], packets: r.packets };
}
