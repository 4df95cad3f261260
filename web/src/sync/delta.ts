// quill-delta, the one OT library of the project (DESIGN §3), typed the same
// under both of our compilers. It is CommonJS whose typings describe an ES
// module: under NodeNext (the api and tests) the default import types as
// the module, under bundler resolution (the web app) as the class. At run
// time the class carries itself as `.default`, so `.default` is right for
// Node and for the bundle alike; the conditional type picks the class.
import quill from 'quill-delta';
import type { Op } from 'quill-delta';

type Module = typeof quill;
type DeltaClass = Module extends { default: infer D } ? D : Module;

export const Delta = ((quill as unknown as { default?: DeltaClass }).default ?? quill) as DeltaClass;
export type Delta = InstanceType<DeltaClass>;
export type DeltaOp = Op;

/** A delta as it travels in GraphQL (the `Delta` scalar). */
export interface DeltaJSON {
  ops: DeltaOp[];
}

/** True when the delta changes nothing (only plain retains). */
export const isNoop = (delta: Delta): boolean => delta.ops.every((op) => typeof op.retain === 'number' && !op.attributes);
