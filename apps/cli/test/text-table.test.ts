import { describe, expect, it } from 'vitest';
import { displayWidth, fitLine, renderTable } from '../src/text-table.ts';

const columns = [{ header: 'NAME', shrinkable: true }, { header: 'STATE' }];

describe('renderTable', () => {
  it('aligns names in CJK, with emoji and combining marks, by the columns a terminal draws', () => {
    const lines = renderTable(columns, [
      [{ text: 'fit' }, { text: 'running' }],
      [{ text: '数据拟合' }, { text: 'completed' }],
      [{ text: '🧪 test' }, { text: 'failed' }],
      [{ text: 'cafe\u0301' }, { text: 'pending' }],
    ]);
    const stateColumn = lines.map((line) =>
      displayWidth(line.slice(0, line.search(/(running|completed|failed|pending|STATE)$/))),
    );
    expect(new Set(stateColumn).size).toBe(1);
    expect(stateColumn[0]).toBe(displayWidth('数据拟合') + 2);
  });

  it('cuts a wide name to the width without splitting a character, and no line is wider than asked', () => {
    const lines = renderTable(columns, [[{ text: '数据拟合数据拟合数据拟合' }, { text: 'running' }]], {
      width: 20,
    });
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(20);
    expect(lines[1]).toMatch(/^数据拟合数… {2}running$/);
  });

  it('fitLine counts display columns, not UTF-16 units', () => {
    expect(fitLine('🧪🧪🧪', 6)).toBe('🧪🧪🧪');
    expect(displayWidth(fitLine('🧪🧪🧪🧪', 6))).toBeLessThanOrEqual(6);
    expect(fitLine('abcdef', 4)).toBe('abc…');
  });
});
