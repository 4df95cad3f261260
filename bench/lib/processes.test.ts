// The bench runs our node as its users do: with `npm start`'s flags, which
// the Dockerfile repeats (a change to one must reach the other).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startFlags } from './processes.ts';

describe("the node's start flags", () => {
  it('are those of npm start, and the Dockerfile starts the node with the same ones', () => {
    const flags = startFlags();
    expect(flags).toContain('--max-semi-space-size=32');
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!)).toEqual(['node', ...flags, 'api/src/main.ts']);
  });
});
