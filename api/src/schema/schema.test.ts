// The schema is a contract: docs/contract.graphql names what clients rely
// on, and the committed schema.graphql is what codegen and the web client read.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, Kind, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema, printedSchema } from './index.ts';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

describe('GraphQL schema', () => {
  it('matches the committed schema.graphql (run `npm run schema:print` after changing it)', () => {
    expect(readFileSync(root('schema.graphql'), 'utf8')).toBe(printedSchema());
  });

  it('has every type, field and argument of the contract (docs/contract.graphql), with the same types', () => {
    const schema = buildSchema();
    let checked = 0;
    for (const def of parse(readFileSync(root('docs/contract.graphql'), 'utf8')).definitions) {
      if (!('name' in def) || !def.name) continue;
      const ours = schema.getType(def.name.value);
      expect(ours, `type ${def.name.value}`).toBeDefined();
      if (def.kind === Kind.SCALAR_TYPE_DEFINITION) expect(isScalarType(ours)).toBe(true);
      if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
        expect(isEnumType(ours) && ours.getValues().map((v) => v.name).sort()).toEqual(def.values!.map((v) => v.name.value).sort());
      }
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION || def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
        expect(isObjectType(ours) || isInputObjectType(ours)).toBe(true);
        const fields = (ours as { getFields(): Record<string, { type: unknown; args?: ReadonlyArray<{ name: string; type: unknown }> }> }).getFields();
        for (const field of def.fields ?? []) {
          const name = `${def.name.value}.${field.name.value}`;
          const mine = fields[field.name.value];
          expect(mine, name).toBeDefined();
          expect(String(mine!.type), name).toBe(print(field.type));
          for (const arg of 'arguments' in field ? (field.arguments ?? []) : []) {
            const myArg = mine!.args?.find((a) => a.name === arg.name.value);
            expect(myArg && String(myArg.type), `${name}(${arg.name.value})`).toBe(print(arg.type));
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  // GraphiQL's docs pane is the reference for client authors (issue 7):
  // whatever a client can see must say what it is.
  it('describes every type, field, argument, input field and enum value', () => {
    const missing: string[] = [];
    const need = (what: string, description: string | null | undefined) => {
      if (!description?.trim()) missing.push(what);
    };
    for (const type of Object.values(buildSchema().getTypeMap())) {
      if (type.name.startsWith('__')) continue; // introspection's own types
      need(type.name, type.description);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          need(`${type.name}.${field.name}`, field.description);
          for (const arg of field.args) need(`${type.name}.${field.name}(${arg.name})`, arg.description);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) need(`${type.name}.${field.name}`, field.description);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) need(`${type.name}.${value.name}`, value.description);
      }
    }
    expect(missing, 'add a description to each of these').toEqual([]);
  });
});
