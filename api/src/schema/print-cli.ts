// `npm run schema:print`: writes schema.graphql (committed; codegen and the
// web client read it and never import server code).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printedSchema } from './index.ts';

const target = fileURLToPath(new URL('../../../schema.graphql', import.meta.url));
writeFileSync(target, printedSchema());
console.log(`wrote ${target}`);
