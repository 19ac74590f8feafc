// A command's view of the persisted cluster: load (or create the default), run one operation
// through the control plane with the right plugins, save atomically.
// Validation happens before anything is written, so a rejected input leaves the state unchanged.

import type { Command } from 'commander';
import type { ClusterState } from '../control-plane/types.ts';
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { KObject } from '../k8s/types.ts';
import { createCluster, applyObjects, deleteObjects } from '../control-plane/cluster.ts';
import { defaultClusterSpec, DEFAULT_CLUSTER_YAML, parseClusterFile } from '../inputs/cluster-file.ts';
import { pluginsFor } from '../cni/index.ts';
import { migrateToCalico, type MigrationReport } from '../control-plane/migration.ts';
import { migrateSettings } from '../inputs/calico-migrate.ts';
import { cleanupAwsNode, type CleanupResult } from '../control-plane/aws-node-cleanup.ts';
import { loadState, saveState, stateDir, stateExists, STATE_FORMAT, type Operation, type StoredState } from './state-store.ts';
import { stateOpt } from './commands/_common.ts';

export const DEFAULT_SEED = 1;

export interface Session {
  dir: string;
  stored: StoredState;
}

export function newCluster(text: string | undefined, source: string, seed: number): StoredState {
  const spec: ClusterSpec = text === undefined ? defaultClusterSpec() : parseClusterFile(text, source);
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed, cni: plugins.cni, proxy: plugins.proxy });
  return {
    format: STATE_FORMAT,
    seed,
    cluster: { text: text ?? DEFAULT_CLUSTER_YAML, source: text === undefined ? '<embedded default>' : source },
    operations: [],
    state,
  };
}

/** Opens the state of `cmd`'s --state dir; with no cluster yet, creates the embedded default and says so. */
export function openSession(cmd: Command): Session {
  const dir = stateDir(stateOpt(cmd));
  if (!stateExists(dir)) {
    const stored = newCluster(undefined, '<embedded default>', DEFAULT_SEED);
    process.stderr.write(`kubewire: no cluster in ${dir}; created the default cluster (3 x m5.large, VPC CNI)\n`);
    saveState(dir, stored);
    return { dir, stored };
  }
  return { dir, stored: loadState(dir) };
}

export interface OperationResult {
  state: ClusterState;
  /** What happened to each named object ("created", "configured", "unchanged", "deleted"). */
  results: Array<{ kind: string; namespace?: string; name: string; action: string }>;
  /** What `cni migrate` did and the caveats that now apply. */
  migration?: MigrationReport;
  /** What `cni cleanup-aws-node` removed per node. */
  cleanup?: CleanupResult[];
}

/** Runs one operation on a copy of `state` (the input is never modified, so a failure changes nothing). */
export function runOperation(state: ClusterState, op: Operation): OperationResult {
  const next = structuredClone(state);
  const plugins = pluginsFor(next.spec);
  if (op.op === 'cni-migrate') {
    const s = migrateSettings(next.spec, op.options as Record<string, string>);
    const migration = migrateToCalico(next, { ...s, keepAwsConflist: op.options.keepAwsConflist === true }, plugins);
    return { state: next, results: [], migration };
  }
  if (op.op === 'cni-cleanup') {
    next.clock += 1;
    return { state: next, results: [], cleanup: cleanupAwsNode(next, op.nodes) };
  }
  if (op.op === 'apply') {
    return { state: next, results: applyObjects(next, op.objects as KObject[], plugins) };
  }
  const done = deleteObjects(next, op.refs, plugins);
  return { state: next, results: done.map((r) => ({ ...r, action: 'deleted' })) };
}

/** Runs `op` and persists the result together with the operation (for deterministic rebuilds). */
export function commitOperation(s: Session, op: Operation): OperationResult {
  const r = runOperation(s.stored.state, op);
  s.stored = { ...s.stored, operations: [...s.stored.operations, op], state: r.state };
  saveState(s.dir, s.stored);
  return r;
}
