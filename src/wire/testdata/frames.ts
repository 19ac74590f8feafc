// Literal frames for the codec tests: real kernel frames (kernel 6.18, veth, tcpdump -xx of
// lab-capture.pcap) and the research note's VXLAN example (/work/shared/research/vxlan-wire.md 2.6).

export const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

// Real frames (kernel 6.18, veth, captured with tcpdump).
export const ARP_REQ = hex('ffff ffff ffff 16d7 3a7b af97 0806 0001 0800 0604 0001 16d7 3a7b af97 0a4d 0001 0000 0000 0000 0a4d 0002');
export const ECHO = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 0054 d5a4 0000 4001 9068 0a4d 0001 0a4d 0002 0800 eeb7 1234 0001' +
  '0001 0203 0405 0607 0809 0a0b 0c0d 0e0f 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637');
export const SYN = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 003c 443f 4000 4006 e1e0 0a4d 0001 0a4d 0002 a1f2 1f90 40df a3ad 0000 0000 a002' +
  'faf0 5c6d 0000 0204 05b4 0402 080a bc39 79b9 0000 0000 0103 030a');
export const ACK = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 0034 4440 4000 4006 e1e7 0a4d 0001 0a4d 0002 a1f2 1f90 40df a3ae 1a4e b779 8010' +
  '003f 4ea5 0000 0101 080a bc39 79ba 3edc 2694');

// /work/shared/research/vxlan-wire.md section 2.6.
export const NOTE_VXLAN = hex(
  '02 00 00 00 00 fe 02 00 00 00 01 0a 08 00 45 00 00 86 1c 46 00 00 40 11 47 04 0a 00 01 0a 0a 00' +
    '02 14 be ef 12 b5 00 72 98 e4 08 00 00 00 00 10 00 00 66 66 d7 cc e9 0f 66 1f 60 59 7f 97 08 00' +
    '45 00 00 54 4d 2a 40 00 3f 01 c0 db ac 10 c9 81 ac 10 0c 01 08 00 3f 29 00 01 00 01 10 11 12 13' +
    '14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33' +
    '34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45 46 47',
);

