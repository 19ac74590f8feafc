// Test helper: the engine's dataplane agrees with the NetworkPolicy API on random small policies
// (x, y, z namespaces; TCP 80 and UDP 81), one seed after another on one model cluster. Browser-safe.
import { expect } from 'vitest';
import type { ModelCluster } from '../netpol/cluster.testing.ts';
import { randomPolicies } from '../netpol/random.testing.ts';
import { matrix } from '../netpol/matrix.ts';
import { dataplaneMatrix } from '../netpol/dataplane.ts';

/** For each seed: clear, apply 3 random policies over `ips`, expect no disagreement on TCP 80 nor UDP 81. */
export function expectRandomPolicyAgreement(c: ModelCluster, ips: Record<string, string>, seeds: number[]): void {
  for (const seed of seeds) {
    c.clear();
    c.apply(randomPolicies(seed, ips, 3));
    for (const [port, protocol] of [[80, 'TCP'], [81, 'UDP']] as const) {
      const m = matrix(c.state, { port, protocol, namespaces: ['x', 'y', 'z'] });
      const d = dataplaneMatrix(c.state, m, c.world());
      expect({ seed, port, disagreements: d.disagreements }).toEqual({ seed, port, disagreements: [] });
    }
  }
}
