// docs/capacity.md's table for 1M open documents and 100k editors is the
// output of bench/capacity-model.ts: this fails when either changes alone.
import { describe, expect, it } from 'vitest';
import { ASSUMED, capacityModel, formatValue, renderTable, tableInDoc } from './capacity-model.ts';

const value = (quantity: string) => capacityModel().find((r) => r.quantity === quantity || r.quantity.startsWith(`${quantity} (`))!.value;

describe('capacity model', () => {
  it('is the table docs/capacity.md shows (regenerate: node bench/capacity-model.ts)', () => {
    expect(tableInDoc()).toBe(renderTable(capacityModel()));
  });

  it('adds up: nodes cover CPU and memory, masters and primaries cover their loads at the planned utilisation', () => {
    expect(value('api nodes')).toBe(Math.max(value('api nodes for CPU'), value('api nodes for memory')));
    expect(value('api nodes for CPU') * ASSUMED.targetUtilisation).toBeGreaterThanOrEqual(value('node CPU in all'));
    expect(value('Redis Cluster masters') * value('Redis units per master')).toBeCloseTo(value('Redis units'), 3);
    expect(value('PostgreSQL rows written')).toBe(value('ops committed'));
  });

  it('shows at most three significant digits, thousands separated', () => {
    expect(formatValue(142_857.14)).toBe('142,857');
    expect(formatValue(15.75)).toBe('15.8');
    expect(formatValue(1.23456)).toBe('1.23');
  });
});
