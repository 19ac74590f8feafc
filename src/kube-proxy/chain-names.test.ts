import { describe, expect, it } from 'vitest';
import { endpointChain, hash16, isServiceChainName, servicePortChains } from './chain-names.ts';
import { sha256Utf8 } from './sha256.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('sha256', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(hex(sha256Utf8('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256Utf8(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256Utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    // Two-block boundary case (56..63 bytes of input need an extra block).
    expect(hex(sha256Utf8('a'.repeat(64)))).toBe('ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb');
  });
});

describe('kube-proxy chain names', () => {
  // Chain names from the upstream kube-proxy unit tests (pkg/proxy/iptables/proxier_test.go).
  it('hashes service ports as name + lower-case protocol', () => {
    expect(servicePortChains('ns1/svc1:p80', 'tcp').svc).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(servicePortChains('ns2/svc2:p80', 'tcp')).toEqual({
      svc: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      svl: 'KUBE-SVL-GNZBNJ2PO5MGZ6GT',
      ext: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      fw: 'KUBE-FW-GNZBNJ2PO5MGZ6GT',
    });
    expect(servicePortChains('ns5/svc5:p80', 'tcp').fw).toBe('KUBE-FW-NUKIZ6OKUXPJNT4C');
    // Values from the research note (§2).
    expect(servicePortChains('kube-system/kube-dns:dns', 'udp').svc).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(servicePortChains('default/web:http', 'tcp').svc).toBe('KUBE-SVC-CDGGSHYLG3RE2FKL');
    expect(servicePortChains('default/api', 'tcp').svc).toBe('KUBE-SVC-BL4VTDSJDQ5TV32O');
  });

  it('hashes endpoints with the endpoint string appended', () => {
    expect(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(endpointChain('ns2/svc2:p80', 'tcp', '10.180.0.2:80')).toBe('KUBE-SEP-RS4RBKLTHTF2IUXJ');
    expect(endpointChain('ns5/svc5:p80', 'tcp', '10.180.0.3:80')).toBe('KUBE-SEP-I77PXRDZVX7PMWMN');
    expect(endpointChain('default/web:http', 'tcp', '192.168.1.10:8080')).toBe('KUBE-SEP-HFTXMIAUYPKDT7QJ');
  });

  it('produces 16 base32 characters', () => {
    expect(hash16('x')).toMatch(/^[A-Z2-7]{16}$/);
  });

  it('recognises service chain names', () => {
    expect(isServiceChainName('KUBE-SEP-SXIVWICOYRO3J4NJ')).toBe(true);
    expect(isServiceChainName('KUBE-FW-NUKIZ6OKUXPJNT4C')).toBe(true);
    expect(isServiceChainName('KUBE-SERVICES')).toBe(false);
    expect(isServiceChainName('KUBE-MARK-MASQ')).toBe(false);
  });
});
