import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Many tests drive the real kernel (namespaces, veths, vxlan, iptables, tcpdump, IPv6 DAD
    // timing). Run files one at a time so they never compete for the same kernel and CPU;
    // the whole suite still takes a few minutes.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
