// busybox 1.36 wget (networking/wget.c) as it runs under `kubectl exec` (stderr not a tty):
// options (getopt32 "cqSO:o:P:Y:U:T:+t:n::" and the long forms), URL parsing (http:// assumed,
// user@ stripped, Host header = the URL's host[:port] verbatim), resolution through glibc's
// getaddrinfo ("bad address 'HOST[:PORT]'"), "Connecting to HOST[:PORT] (IP:PORT)", connect()
// ("can't connect to remote host (IP): <strerror>"; -T SEC: "download timed out"), the status
// check ("server returned error: <status line>"), -S's "  <line>" echo, "writing to stdout" /
// "saving to 'FILE'", the non-tty progress line, "written to stdout" / "'FILE' saved".
// Exit status 1 on any error.

import { simulatedDate } from '../../k8s/lookup.ts';
import { NGINX_VERSION, type HttpResponse } from '../../wire/http.ts';
import { getaddrinfo } from './getaddrinfo.ts';
import { connectTcp, SYN_TIMEOUT_US } from './tcp-client.ts';
import { ERRNO_TEXT, jitter, type AppContext } from './transport.ts';
import { nginxAnswer, nginxVersionOf, bodyText } from './nginx.ts';
import type { PodResolv } from './resolv.ts';
import type { PodView } from './workloads.ts';
import type { HttpExchange } from './types.ts';

export interface ProgramResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** stdout and stderr interleaved as written, when the program mixes them (for a terminal). */
  merged?: string;
}

const USAGE =
  'Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n' +
  '\t[--post-data STR | --post-file FILE] [-Y on/off]\n' +
  '\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n';

const USAGE_FULL =
  'Retrieve files via HTTP or FTP\n\n' +
  "\t--spider\tOnly check URL existence: $? is 0 if exists\n\t--header STR\tAdd STR (of form 'header: value') to headers\n" +
  '\t--post-data STR\tSend STR using POST method\n\t--post-file FILE\tSend FILE using POST method\n' +
  "\t--no-check-certificate\tDon't validate the server's certificate\n\t-c\t\tContinue retrieval of aborted transfer\n" +
  '\t-q\t\tQuiet\n\t-P DIR\t\tSave to DIR (default .)\n\t-S    \t\tShow server response\n\t-T SEC\t\tNetwork read timeout is SEC seconds\n' +
  "\t-O FILE\t\tSave to FILE ('-' for stdout)\n\t-o LOGFILE\tLog messages to FILE\n\t-U STR\t\tUse STR for User-Agent header\n\t-Y on/off\tUse proxy\n";

interface WgetOpts {
  quiet: boolean;
  serverResponse: boolean;
  spider: boolean;
  output?: string;
  userAgent: string;
  timeoutS: number;
  urls: string[];
}

class Usage extends Error {}

const SHORT_WITH_ARG = new Set(['O', 'o', 'P', 'Y', 'U', 'T', 't']);
const LONG: Record<string, { short?: string; arg: boolean }> = {
  continue: { short: 'c', arg: false },
  quiet: { short: 'q', arg: false },
  'server-response': { short: 'S', arg: false },
  'output-document': { short: 'O', arg: true },
  'output-file': { short: 'o', arg: true },
  'directory-prefix': { short: 'P', arg: true },
  proxy: { short: 'Y', arg: true },
  'user-agent': { short: 'U', arg: true },
  timeout: { short: 'T', arg: true },
  tries: { short: 't', arg: true },
  header: { arg: true },
  'post-data': { arg: true },
  'post-file': { arg: true },
  spider: { arg: false },
  'no-check-certificate': { arg: false },
  'passive-ftp': { arg: false },
  'no-cache': { arg: false },
  'no-verbose': { arg: false },
  'no-clobber': { arg: false },
  'no-host-directories': { arg: false },
  'no-parent': { arg: false },
};

function parseArgs(argv: string[]): WgetOpts | { error: string } {
  const o: WgetOpts = { quiet: false, serverResponse: false, spider: false, userAgent: 'Wget', timeoutS: 900, urls: [] };
  const set = (k: string, v: string | undefined): string | undefined => {
    switch (k) {
      case 'q':
        o.quiet = true;
        break;
      case 'S':
        o.serverResponse = true;
        break;
      case 'O':
        o.output = v;
        break;
      case 'U':
        o.userAgent = v!;
        break;
      case 'T':
        if (!/^\d+$/.test(v!)) return `invalid number '${v}'`;
        o.timeoutS = Number(v);
        break;
      case 'spider':
        o.spider = true;
        break;
      case 'post-data':
      case 'post-file':
        return `--${k} is not modelled by kubewire`;
    }
    return undefined;
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      o.urls.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = LONG[name];
      if (!spec) throw new Usage(`unrecognized option '${a}'`);
      let v: string | undefined;
      if (spec.arg) {
        v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new Usage(`option '--${name}' requires an argument`);
      } else if (eq >= 0) throw new Usage(`option '--${name}' doesn't allow an argument`);
      const err = set(spec.short ?? name, v);
      if (err) return { error: err };
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (c === 'n') break; // -n[ARG]: ignored (-nv, -nc, -nH, -np)
        if (SHORT_WITH_ARG.has(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) throw new Usage(`option requires an argument -- '${c}'`);
          const err = set(c, v);
          if (err) return { error: err };
          break;
        }
        if (!'cqS'.includes(c)) throw new Usage(`invalid option -- '${c}'`);
        set(c, undefined);
      }
      continue;
    }
    o.urls.push(a);
  }
  if (o.urls.length === 0) throw new Usage('');
  return o;
}

interface Url {
  protocol: 'http' | 'https' | 'ftp';
  /** host[:port] as written (the Host header and the messages use it verbatim). */
  host: string;
  port: number;
  /** Path without the leading '/'. */
  path: string;
}

function parseUrl(src: string): Url | { error: string } {
  let rest = src;
  let protocol: Url['protocol'] = 'http';
  let port = 80;
  const p = rest.indexOf('://');
  if (p >= 0) {
    const scheme = rest.slice(0, p);
    rest = rest.slice(p + 3);
    if (scheme === 'http') port = 80;
    else if (scheme === 'https') [protocol, port] = ['https', 443];
    else if (scheme === 'ftp') [protocol, port] = ['ftp', 21];
    else return { error: `not an http or ftp url: ${src}` };
  }
  let cut = rest.length;
  for (const ch of ['/', '?', '#']) {
    const i = rest.indexOf(ch);
    if (i >= 0 && i < cut) cut = i;
  }
  let host = rest.slice(0, cut);
  let path = rest.slice(cut);
  if (path.startsWith('/')) path = path.slice(1);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  return { protocol, host, port, path };
}

/** host and port out of "host[:port]" as busybox's str2sockaddr splits it. */
function splitHostPort(hp: string, port: number): { host: string; port: number } | { badPort: true } {
  const c = hp.lastIndexOf(':');
  if (c < 0 || hp.indexOf(':') !== c) return { host: hp, port };
  const p = hp.slice(c + 1);
  if (!/^\d+$/.test(p) || Number(p) > 65535) return { badPort: true };
  return { host: hp.slice(0, c), port: Number(p) };
}

/** busybox's smart_ulltoa5: five columns, scaled with k/M/G past 99999. */
function ulltoa5(n: number): string {
  if (n <= 99999) return String(n).padStart(5);
  const units = ' kMGTPEZY';
  let i = 0;
  let v = n;
  while (v > 9999 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return v >= 100 ? `${Math.round(v)}`.padStart(4) + units[i] : `${v.toFixed(1)}`.padStart(4) + units[i];
}

/** The last progress line bb_progress_update writes (80 columns): on a terminal it starts with
 *  "\r" (it redraws in place) and progress_meter ends it with "\n"; otherwise each update is a line. */
export function progressLine(curfile: string, size: number, tty = false): string {
  const name = curfile.slice(0, 20).padEnd(20);
  const bar = size > 0 ? `100% |${'*'.repeat(80 - 48)}| ` : '';
  const eta = size > 0 ? '  0:00:00 ETA' : ' --:--:-- ETA';
  return `${tty ? '\r' : ''}${name} ${bar}${ulltoa5(size)}${eta}\n`;
}

function statusLine(r: HttpResponse): string {
  return `${r.version} ${r.status} ${r.reason}`;
}

export function runWget(ctx: AppContext, pod: PodView, resolv: PodResolv, argv: string[]): ProgramResult {
  let err = '';
  let out = '';
  // Both streams in the order written (what a terminal shows under `kubectl exec -t`).
  let merged = '';
  const E = (t: string) => {
    err += t;
    merged += t;
  };
  const O = (t: string) => {
    out += t;
    merged += t;
  };
  const die = (msg: string): ProgramResult => ({ stdout: out, stderr: `${err}wget: ${msg}\n`, exitCode: 1, merged: `${merged}wget: ${msg}\n` });
  let o: WgetOpts;
  try {
    const parsed = parseArgs(argv);
    if ('error' in parsed) return die(parsed.error);
    o = parsed;
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    return { stdout: '', stderr: `${e.message ? `wget: ${e.message}\n` : ''}BusyBox v1.36.1 multi-call binary.\n\n${USAGE}\n${USAGE_FULL}`, exitCode: 1 };
  }
  const toStdout = o.output === '-';
  for (const raw of o.urls) {
    const url = parseUrl(raw);
    if ('error' in url) return die(url.error);
    const hp = splitHostPort(url.host, url.port);
    if ('badPort' in hp) return die(`bad port spec '${url.host}'`);
    const fname = o.output ?? (url.path.split(/[?#]/)[0].split('/').pop() || 'index.html');
    const curfile = fname.split('/').pop() || fname;
    const res = getaddrinfo(ctx, pod, resolv, hp.host);
    if (!res.ok) return die(`bad address '${url.host}'`);
    const ip = res.addresses.find((a) => !a.includes(':')) ?? res.addresses[0];
    if (!o.quiet) E(`Connecting to ${url.host} (${ip.includes(':') ? `[${ip}]` : ip}:${hp.port})\n`);
    const method = 'GET';
    const http: HttpExchange = { method, host: url.host, path: `/${url.path}`, userAgent: o.userAgent };
    ctx.nowUs += jitter(ctx, 30);
    const { result: c } = connectTcp(ctx, ip, hp.port, { kind: 'http', http });
    if (c.kind === 'silent') {
      const limitUs = o.timeoutS > 0 ? o.timeoutS * 1_000_000 : Infinity;
      if (limitUs < SYN_TIMEOUT_US) {
        ctx.nowUs += limitUs;
        return die('download timed out');
      }
      ctx.nowUs += SYN_TIMEOUT_US;
      return die(`can't connect to remote host (${ip}): ${ERRNO_TEXT.ETIMEDOUT}`);
    }
    if (c.kind === 'error') {
      ctx.nowUs += c.afterUs;
      return die(`can't connect to remote host (${ip}): ${ERRNO_TEXT[c.errno]}`);
    }
    ctx.nowUs += c.rttUs;
    if (url.protocol !== 'http' || c.server?.kind !== 'nginx') {
      // A listener kubewire has no program for (or TLS/FTP): say so rather than invent bytes.
      const note = `kubewire: what ${c.server?.containers[0]?.image ?? 'the node'} answers to ${url.protocol} on port ${c.port} is not modelled\n`;
      return { stdout: out, stderr: err + note, exitCode: 1, merged: merged + note };
    }
    const nowS = Math.floor(simulatedDate(ctx.state).getTime() / 1000 + ctx.nowUs / 1e6);
    const version = nginxVersionOf(c.server.containers[0]?.image ?? '') || NGINX_VERSION;
    const r = nginxAnswer(method, http.path, nowS, version);
    ctx.nowUs += c.rttUs + jitter(ctx, 250);
    http.status = r.status;
    http.server = `nginx/${version}`;
    http.body = bodyText(r);
    if (o.serverResponse) E(`  ${statusLine(r)}\n`);
    if (r.status < 200 || (r.status >= 300 && ![301, 302, 303, 307, 308].includes(r.status)) || r.status === 205) {
      return die(`server returned error: ${statusLine(r)}`);
    }
    if (o.serverResponse) E(r.headers.map(([k, v]) => `  ${k}: ${v}\n`).join('') + '  \n');
    if (o.spider) {
      if (!o.quiet) E('remote file exists\n');
      continue;
    }
    if (!o.quiet) E(toStdout ? 'writing to stdout\n' : `saving to '${fname}'\n`);
    if (toStdout) O(http.body);
    if (!o.quiet) E(progressLine(toStdout ? '-' : curfile, r.body.length, ctx.tty));
    if (!o.quiet) E(toStdout ? 'written to stdout\n' : `'${fname}' saved\n`);
  }
  return { stdout: out, stderr: err, exitCode: 0, merged };
}
