// What running a client program in a simulated pod produces (`kubewire exec POD -- wget ...`):
// what the program prints, its exit status, and every transport exchange it made, each with the
// engine's concrete trace of its first packet and the reply. Captures (src/capture) turn the
// flows into frames on each interface of their path; the lab compares them with the kernel.
import type { Probe, Trace } from '../index.ts';

export interface DnsExchange {
  /** Name asked (after search-list expansion), e.g. "nginx.default.svc.cluster.local". */
  name: string;
  qtype: 'A' | 'AAAA';
  /** DNS message id the client used. */
  id: number;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** Addresses in the answer section, in order. */
  answers: string[];
  /** Answer TTL CoreDNS gives (seconds). */
  ttl: number;
  /** False when no reply came back (dropped, refused): then rcode/answers/ttl mean nothing. */
  answered?: boolean;
  /** Authoritative answer (CoreDNS's own zone) or relayed from the VPC resolver (AA clear). */
  aa?: boolean;
}

export interface HttpExchange {
  method: 'GET' | 'HEAD';
  /** Host header value as the client sends it ("nginx:8080"). */
  host: string;
  path: string;
  userAgent: string;
  /** Absent when no response came (connection refused, timed out, dropped). */
  status?: number;
  /** Server software answering ("nginx/1.27.3"), for the Server header. */
  server?: string;
  /** Response body bytes as text (nginx's default page for a stock nginx image). */
  body?: string;
}

export interface AppFlow {
  kind: 'dns' | 'http' | 'tcp' | 'icmp';
  /** The first packet as the client sent it: destination as the client addressed it, source port it bound. */
  probe: Probe;
  /** Concrete trace (one branch, seeded) of that packet and its reply. */
  trace: Trace;
  dns?: DnsExchange;
  http?: HttpExchange;
  /** Simulated time the flow started, microseconds from the run's start (monotonic across flows). */
  startUs: number;
  /** ICMP echo sequence number (ping), for kind 'icmp'. */
  icmpSeq?: number;
  /** Data bytes after the ICMP echo header (ping -s, default 56), for kind 'icmp'. */
  icmpDataLen?: number;
}

export interface AppRun {
  /** The command as given (argv). */
  argv: string[];
  /** Where it ran. */
  pod: { namespace: string; name: string; node: string; netns: string; ip: string };
  stdout: string;
  stderr: string;
  exitCode: number;
  flows: AppFlow[];
}
