// HTTP/1.1 messages as busybox wget sends them and nginx answers them.
//
// busybox wget (networking/wget.c) writes, for `wget http://HOST[:PORT]/PATH`:
//   "GET /PATH HTTP/1.1\r\n" "Host: HOST[:PORT]\r\n" "User-Agent: Wget\r\n" "Connection: close\r\n" "\r\n"
// (Host is the URL's host part verbatim, port included when the URL has one.)
//
// nginx (ngx_http_header_filter_module.c) answers a static file with, in this order:
//   status line, Server, Date, Content-Type, Content-Length, Last-Modified, Connection,
//   then the list headers: ETag ("<mtime hex>-<size hex>") and Accept-Ranges: bytes.
// The default page of the official nginx image is html/index.html of the nginx source, 615 bytes.

import { KubewireError } from '../errors.ts';
import { latin1Decoder, textEncoder } from './bytes.ts';

export interface HttpRequest {
  method: string;
  target: string;
  version: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface HttpResponse {
  version: string;
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

function splitHead(bytes: Uint8Array, what: string): { lines: string[]; body: Uint8Array } {
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new KubewireError(`${what}: no end of headers (CRLF CRLF)`);
  const head = latin1Decoder.decode(bytes.subarray(0, end));
  return { lines: head.split('\r\n'), body: bytes.subarray(end + 4) };
}

function parseHeaders(lines: string[], what: string): Array<[string, string]> {
  return lines.map((l) => {
    const i = l.indexOf(':');
    if (i <= 0) throw new KubewireError(`${what}: bad header line "${l}"`);
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
}

export function parseHttpRequest(bytes: Uint8Array): HttpRequest {
  const { lines, body } = splitHead(bytes, 'HTTP request');
  const m = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(lines[0]);
  if (!m) throw new KubewireError(`HTTP request: bad request line "${lines[0]}"`);
  return { method: m[1], target: m[2], version: m[3], headers: parseHeaders(lines.slice(1), 'HTTP request'), body };
}

export function parseHttpResponse(bytes: Uint8Array): HttpResponse {
  const { lines, body } = splitHead(bytes, 'HTTP response');
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]);
  if (!m) throw new KubewireError(`HTTP response: bad status line "${lines[0]}"`);
  return { version: m[1], status: Number(m[2]), reason: m[3], headers: parseHeaders(lines.slice(1), 'HTTP response'), body };
}

function head(first: string, headers: Array<[string, string]>): string {
  return `${first}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

export function emitHttpRequest(r: HttpRequest): Uint8Array {
  const h = textEncoder.encode(head(`${r.method} ${r.target} ${r.version}`, r.headers));
  const out = new Uint8Array(h.length + r.body.length);
  out.set(h);
  out.set(r.body, h.length);
  return out;
}

export function emitHttpResponse(r: HttpResponse): Uint8Array {
  const h = textEncoder.encode(head(`${r.version} ${r.status} ${r.reason}`, r.headers));
  const out = new Uint8Array(h.length + r.body.length);
  out.set(h);
  out.set(r.body, h.length);
  return out;
}

/** The request busybox wget sends for `url` (http://host[:port][/path]). */
export function busyboxWgetRequest(url: string, userAgent = 'Wget'): HttpRequest {
  const m = /^http:\/\/([^/?#]+)(\/[^#]*)?(?:#.*)?$/.exec(url);
  if (!m) throw new KubewireError(`wget: "${url}" is not an http:// URL`);
  let hostPart = m[1];
  const at = hostPart.lastIndexOf('@');
  if (at >= 0) hostPart = hostPart.slice(at + 1);
  const path = m[2] ?? '/';
  return {
    method: 'GET',
    target: path,
    version: 'HTTP/1.1',
    headers: [['Host', hostPart], ['User-Agent', userAgent], ['Connection', 'close']],
    body: new Uint8Array(0),
  };
}

/** html/index.html of nginx 1.27 (the page the official image serves at /). */
export const NGINX_INDEX_HTML =
  '<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\n' +
  'body { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n' +
  '<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\n' +
  'working. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n' +
  '<a href="http://nginx.org/">nginx.org</a>.<br/>\nCommercial support is available at\n' +
  '<a href="http://nginx.com/">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n';

/** nginx:1.27 image facts: version string and the index.html modification time
 *  (Last-Modified: Wed, 16 Apr 2025 12:01:11 GMT; ETag "67ff9c07-267"). */
export const NGINX_VERSION = '1.27.5';
export const NGINX_INDEX_MTIME = Date.UTC(2025, 3, 16, 12, 1, 11) / 1000;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 7231 IMF-fixdate, as nginx's ngx_http_time writes it. `unixSeconds` is an integer. */
export function httpDate(unixSeconds: number): string {
  const d = new Date(Math.floor(unixSeconds) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

/** nginx's strong ETag for a static file: "<mtime hex>-<size hex>". */
export function nginxEtag(mtime: number, size: number): string {
  return `"${Math.floor(mtime).toString(16)}-${size.toString(16)}"`;
}

export interface NginxStaticOptions {
  /** Response time (Unix seconds) for the Date header. */
  now: number;
  body?: Uint8Array;
  mtime?: number;
  contentType?: string;
  version?: string;
  /** Whether the connection stays open ("keep-alive") or not ("close", when the client sent
   *  Connection: close, as busybox wget does). */
  keepAlive?: boolean;
}

/** nginx's 200 response for a static file (default: the welcome page). */
export function nginxStaticResponse(o: NginxStaticOptions): HttpResponse {
  const body = o.body ?? textEncoder.encode(NGINX_INDEX_HTML);
  const mtime = o.mtime ?? NGINX_INDEX_MTIME;
  return {
    version: 'HTTP/1.1',
    status: 200,
    reason: 'OK',
    headers: [
      ['Server', `nginx/${o.version ?? NGINX_VERSION}`],
      ['Date', httpDate(o.now)],
      ['Content-Type', o.contentType ?? 'text/html'],
      ['Content-Length', String(body.length)],
      ['Last-Modified', httpDate(mtime)],
      ['Connection', o.keepAlive ? 'keep-alive' : 'close'],
      ['ETag', nginxEtag(mtime, body.length)],
      ['Accept-Ranges', 'bytes'],
    ],
    body,
  };
}
