// NetworkPolicy (networking.k8s.io/v1) semantics: per-connection verdicts, the all-pairs matrix and their renderers.
export type { AllowingRule, Connection, DirectionVerdict, Peer, PolicyInputs, PolicyRef, Protocol, Subject, Verdict } from './types.ts';
export { cidrContains, compile, evaluate, evaluateCompiled, ipBlockContains, policyTypesOf, type Compiled } from './evaluate.ts';
export { inputsOf, matrix, matrixOf, type Matrix, type MatrixOptions, type MatrixPod } from './matrix.ts';
export { describeRule, enforced, enforcementNote, explain, renderExplain, renderMatrix, type ExplainEnd } from './render.ts';
