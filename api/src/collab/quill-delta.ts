// quill-delta is CommonJS whose typings describe an ES module. Under
// NodeNext the default import types as the module, while at run time it is
// the class, which also carries itself as `.default`: using `.default` is
// right for both.
import quill from 'quill-delta';

export const Delta = quill.default;
export type Delta = InstanceType<typeof quill.default>;
export type { Op as DeltaOp } from 'quill-delta';
