// What the stock nginx image answers on :80 (default.conf: root /usr/share/nginx/html, index
// index.html): GET or HEAD of / and /index.html → the welcome page (src/wire/http.ts); other GET
// paths → nginx's built-in 404 page (ngx_http_special_response.c, CRLF line ends, server_tokens
// on, no Last-Modified/ETag); other methods on a static file → 405.

import { httpDate, nginxStaticResponse, NGINX_VERSION, type HttpResponse } from '../../wire/http.ts';
import { latin1Decoder, textEncoder } from '../../wire/bytes.ts';
import { imageName } from './workloads.ts';

const REASONS: Record<number, string> = { 200: 'OK', 404: 'Not Found', 405: 'Not Allowed' };

/** The version a tag serves (nginx:1.25.3, nginx:1.25.3-alpine); other tags: NGINX_VERSION. */
export function nginxVersionOf(image: string): string {
  return /^(\d+\.\d+\.\d+)(?:-|$)/.exec(imageName(image).tag)?.[1] ?? NGINX_VERSION;
}

export function nginxErrorPage(status: number, version: string): string {
  const title = `${status} ${REASONS[status] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;
}

/** nginx's answer to `method path` (path with its query string) at `nowS` (Unix seconds). */
export function nginxAnswer(method: string, path: string, nowS: number, version: string): HttpResponse {
  const file = path.split('?')[0].split('#')[0];
  const isIndex = file === '/' || file === '/index.html';
  if (isIndex && (method === 'GET' || method === 'HEAD')) {
    const r = nginxStaticResponse({ now: nowS, version });
    return method === 'HEAD' ? { ...r, body: new Uint8Array(0) } : r;
  }
  const status = method === 'GET' || method === 'HEAD' ? 404 : 405;
  const body = textEncoder.encode(nginxErrorPage(status, version));
  return {
    version: 'HTTP/1.1',
    status,
    reason: REASONS[status],
    headers: [
      ['Server', `nginx/${version}`],
      ['Date', httpDate(nowS)],
      ['Content-Type', 'text/html'],
      ['Content-Length', String(body.length)],
      ['Connection', 'close'],
    ],
    body: method === 'HEAD' ? new Uint8Array(0) : body,
  };
}

export function bodyText(r: HttpResponse): string {
  return latin1Decoder.decode(r.body);
}
