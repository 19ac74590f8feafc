import { describe, expect, it } from 'vitest';
import { textEncoder } from './bytes.ts';
import {
  busyboxWgetRequest, emitHttpRequest, emitHttpResponse, httpDate, NGINX_INDEX_HTML, nginxEtag, nginxStaticResponse,
  parseHttpRequest, parseHttpResponse,
} from './http.ts';
import { flatten, loadTestCapture } from './testing.node.ts';

describe('busybox wget request', () => {
  it('matches the bytes busybox 1.35 wget sent in a namespace', () => {
    const seg = flatten(loadTestCapture('busybox-wget.pcap')).find((f) => f.tcp?.dstPort === 8080 && f.payload!.length > 0)!;
    expect(emitHttpRequest(busyboxWgetRequest('http://nginx:8080/'))).toEqual(seg.payload);
    expect(parseHttpRequest(seg.payload!).headers).toEqual([['Host', 'nginx:8080'], ['User-Agent', 'Wget'], ['Connection', 'close']]);
  });
  it('keeps the path and drops the fragment', () => {
    const r = busyboxWgetRequest('http://10.100.0.5/a/b?x=1#frag');
    expect(r.target).toBe('/a/b?x=1');
    expect(r.headers[0]).toEqual(['Host', '10.100.0.5']);
    expect(() => busyboxWgetRequest('https://x/')).toThrow(/not an http:\/\/ URL/);
  });
});

describe('nginx response', () => {
  // Real nginx:1.27.5 answer to curl -I (published transcript): Content-Length 615,
  // Last-Modified: Wed, 16 Apr 2025 12:01:11 GMT, ETag: "67ff9c07-267", header order below.
  it('default page and headers as nginx 1.27.5 sends them', () => {
    const r = nginxStaticResponse({ now: Date.UTC(2026, 5, 19, 10, 14, 37) / 1000, keepAlive: true });
    const text = new TextDecoder().decode(emitHttpResponse(r));
    expect(text.startsWith(
      'HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\nDate: Fri, 19 Jun 2026 10:14:37 GMT\r\nContent-Type: text/html\r\n' +
        'Content-Length: 615\r\nLast-Modified: Wed, 16 Apr 2025 12:01:11 GMT\r\nConnection: keep-alive\r\n' +
        'ETag: "67ff9c07-267"\r\nAccept-Ranges: bytes\r\n\r\n<!DOCTYPE html>\n',
    )).toBe(true);
    expect(textEncoder.encode(NGINX_INDEX_HTML).length).toBe(615);
    expect(text.endsWith('</body>\n</html>\n')).toBe(true);
  });
  it('Connection: close for a client that asked to close', () => {
    const r = parseHttpResponse(emitHttpResponse(nginxStaticResponse({ now: 0 })));
    expect(r.headers.find(([k]) => k === 'Connection')).toEqual(['Connection', 'close']);
    expect(r.body.length).toBe(615);
  });
  it('dates and etags', () => {
    expect(httpDate(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(nginxEtag(0x682235aa, 18)).toBe('"682235aa-12"');
  });
});
