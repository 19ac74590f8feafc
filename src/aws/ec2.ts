// RunInstances as far as networking sees it: an instance id and a primary ENI (device index 0)
// with a private IP EC2 picks from the subnet.
import type { RngHolder } from '../k8s/rand.ts';
import type { Eni, VpcState } from './types.ts';
import { attachEni, createEni, newResourceId } from './vpc.ts';

export interface LaunchedInstance {
  instanceId: string;
  primaryEni: Eni;
}

export function launchInstance(
  vpc: VpcState,
  opts: { subnetId: string; rng?: RngHolder; securityGroups?: string[] },
): LaunchedInstance {
  const instanceId = newResourceId(vpc, 'i');
  const eni = createEni(vpc, {
    subnetId: opts.subnetId,
    rng: opts.rng,
    securityGroups: opts.securityGroups,
    description: '',
  });
  attachEni(vpc, eni.id, instanceId, 0);
  return { instanceId, primaryEni: eni };
}
