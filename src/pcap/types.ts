// Shared records for capture files.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/** One captured packet. */
export interface CapturedPacket {
  /** Capture time in microseconds since the Unix epoch (integer). */
  timeUs: number;
  /** Bytes as captured (starting with the link-layer header). */
  data: Uint8Array;
  /** Length on the wire, if larger than `data` (snapped); defaults to data.length. */
  origLen?: number;
  /** pcapng: index of the interface (IDB) it was captured on. Classic pcap has one interface. */
  interfaceId?: number;
  /** pcapng epb_flags direction. */
  direction?: 'in' | 'out';
}

export interface CaptureInterface {
  linkType: number;
  /** pcapng if_name, e.g. "ip-192-168-1-2.us-west-2.compute.internal:eth0". */
  name?: string;
  description?: string;
  snapLen?: number;
}

export interface CaptureFile {
  format: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[];
  packets: CapturedPacket[];
}

/** tcpdump's default snapshot length. */
export const DEFAULT_SNAPLEN = 262144;
