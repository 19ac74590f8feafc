// The rule text helpers. Every expected string below was produced by the real iptables-restore +
// iptables-save v1.8.9 (nf_tables) in a scratch namespace (see corpus.test.ts for the live check).

import { describe, expect, it } from 'vitest';
import { formatRule, parseCommand, parseRuleArgs, saveString, tokenizeRestoreLine } from './rule-text.ts';
import { NetfilterParamError } from './errors.ts';
import { savedProbability } from './extensions.ts';
import { formatIPv6, parseIPv6 } from './addr.ts';

describe('tokenizeRestoreLine', () => {
  it('splits like iptables-restore: quotes, backslash escapes inside quotes only, quote ends an argument', () => {
    const line =
      '-A INPUT -m comment --comment "a\\"b\\\\c d" -m comment --comment a\\b -m comment --comment x"y z" ' +
      "-m comment --comment \"\" -m comment --comment \"it's\" -m comment --comment\ttab\n";
    expect(tokenizeRestoreLine(line)).toEqual([
      '-A', 'INPUT',
      '-m', 'comment', '--comment', 'a"b\\c d',
      '-m', 'comment', '--comment', 'a\\b',
      '-m', 'comment', '--comment', 'xy z',
      '-m', 'comment', '--comment', '',
      '-m', 'comment', '--comment', "it's",
      '-m', 'comment', '--comment', 'tab',
    ]);
  });

  it('an unterminated quote runs to the end of the line, newline included', () => {
    expect(tokenizeRestoreLine('-m comment --comment "abc\n')).toEqual(['-m', 'comment', '--comment', 'abc\n']);
  });
});

describe('saveString (iptables-save quoting)', () => {
  it('quotes anything beyond letters, digits, _ and -, escaping " \\ and \'', () => {
    expect(saveString('a_b-9')).toBe('a_b-9');
    expect(saveString('default/web:http')).toBe('"default/web:http"');
    expect(saveString('a"b\\c d')).toBe('"a\\"b\\\\c d"');
    expect(saveString("it's")).toBe('"it\\\'s"');
    expect(saveString('')).toBe('""');
  });
});

describe('parseRuleArgs + formatRule', () => {
  it('kube-proxy restore input → saved form and structure', () => {
    const [rule] = parseRuleArgs(
      ['-m', 'comment', '--comment', 'default/web:http cluster IP', '-m', 'tcp', '-p', 'tcp', '-d', '10.100.10.20', '--dport', '80', '!', '-s', '192.168.0.0/16', '-j', 'KUBE-MARK-MASQ'],
      { table: 'nat' },
    );
    expect(formatRule('KUBE-SVC-CDGGSHYLG3RE2FKL', rule)).toBe(
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 192.168.0.0/16 -d 10.100.10.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
    expect(rule.source).toEqual({ value: '192.168.0.0/16', negated: true });
    expect(rule.destination).toEqual({ value: '10.100.10.20/32', negated: false });
    expect(rule.protocol).toEqual({ value: 'tcp', negated: false });
    expect(rule.matches).toEqual([
      { module: 'comment', options: [{ name: 'comment', negated: false, values: ['default/web:http cluster IP'] }] },
      { module: 'tcp', options: [{ name: 'dport', negated: false, values: ['80'] }] },
    ]);
    expect(rule.target).toEqual({ name: 'KUBE-MARK-MASQ', goto: false, options: [] });
  });

  it('MARK, statistic, recent and DNAT are stored as the kernel gives them back', () => {
    const fmt = (args: string): string => formatRule('C', parseRuleArgs(tokenizeRestoreLine(args), { table: 'nat' })[0]);
    expect(fmt('-j MARK --or-mark 0x00004000')).toBe('-A C -j MARK --set-xmark 0x4000/0x4000');
    expect(fmt('-j MARK --xor-mark 0x00004000')).toBe('-A C -j MARK --set-xmark 0x4000/0x0');
    expect(fmt('-m statistic --mode random --probability 0.3333333333 -j X')).toBe(
      '-A C -m statistic --mode random --probability 0.33333333349 -j X',
    );
    expect(fmt('-m recent --name S --rcheck --seconds 10800 --reap -j S')).toBe(
      '-A C -m recent --rcheck --seconds 10800 --reap --name S --mask 255.255.255.255 --rsource -j S',
    );
    expect(fmt('-m tcp -p tcp -j DNAT --to-destination 192.168.1.10:8080')).toBe(
      '-A C -p tcp -m tcp -j DNAT --to-destination 192.168.1.10:8080',
    );
    expect(fmt('-p tcp --syn -j ACCEPT')).toBe('-A C -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT');
    expect(fmt('-i cali+ -g cali-fw-x')).toBe('-A C -i cali+ -g cali-fw-x');
  });

  it('one rule per source × destination address, in that order', () => {
    const rules = parseRuleArgs(['-s', '1.1.1.1,2.2.2.2', '-d', '3.3.3.3,4.4.4.4']);
    expect(rules.map((r) => formatRule('INPUT', r))).toEqual([
      '-A INPUT -s 1.1.1.1/32 -d 3.3.3.3/32',
      '-A INPUT -s 1.1.1.1/32 -d 4.4.4.4/32',
      '-A INPUT -s 2.2.2.2/32 -d 3.3.3.3/32',
      '-A INPUT -s 2.2.2.2/32 -d 4.4.4.4/32',
    ]);
  });

  it('counters prefix', () => {
    const [r] = parseRuleArgs(['-c', '4', '240', '-p', 'icmp', '-j', 'ACCEPT']);
    expect(formatRule('USER', r, { counters: true })).toBe('[4:240] -A USER -p icmp -j ACCEPT');
  });

  it('parseCommand reads the command and its position arguments', () => {
    expect(parseCommand(['-I', 'INPUT', '3', '-j', 'ACCEPT'])).toMatchObject({ command: 'I', chain: 'INPUT', ruleNum: 3 });
    expect(parseCommand(['-D', 'INPUT', '2'])).toMatchObject({ command: 'D', chain: 'INPUT', ruleNum: 2, hasRuleSpec: false });
    expect(parseCommand(['-P', 'FORWARD', 'DROP'])).toMatchObject({ command: 'P', chain: 'FORWARD', arg: 'DROP' });
    expect(parseCommand(['-X'])).toMatchObject({ command: 'X', chain: undefined });
  });

  it('reports bad arguments with the real tool wording', () => {
    expect(() => parseRuleArgs(['--foo'])).toThrow(NetfilterParamError);
    expect(() => parseRuleArgs(['--foo'])).toThrow('unknown option "--foo"');
    expect(() => parseRuleArgs(['-p', 'tcp', '--dport', '99999'])).toThrow("invalid port/service `99999' specified");
  });
});

describe('savedProbability', () => {
  it('rounds p·2^31 like lround and prints 11 decimals like glibc (ties to even)', () => {
    expect(savedProbability('0.5')).toBe('0.50000000000');
    expect(savedProbability('0.2')).toBe('0.20000000019');
    expect(savedProbability('0.1666666667')).toBe('0.16666666651');
    expect(savedProbability('0.1428571429')).toBe('0.14285714272');
    expect(savedProbability('0.000244140625')).toBe('0.00024414062');
    expect(savedProbability('1')).toBe('1.00000000000');
  });
});

describe('IPv6 text form (inet_ntop)', () => {
  it('compresses the longest zero run and keeps embedded IPv4', () => {
    const f = (s: string): string => formatIPv6(parseIPv6(s)!);
    expect(f('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(f('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(f('fd00:10:244:1:0:0:0:a')).toBe('fd00:10:244:1::a');
    expect(f('::1')).toBe('::1');
    expect(f('ffff:ffff::')).toBe('ffff:ffff::');
  });
});
