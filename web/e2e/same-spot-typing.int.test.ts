// Two people typing at the same spot at once, at 10 ms per character: the
// text converges, and each person's words stay whole (their runs come one
// after the other, never interleaved character by character).
import { describe, expect, it } from 'vitest';
import { browserSuite, chromiumAvailable, editorText } from './support.ts';

const ANN = '[ann-same-spot]';
const BOB = '[bob-same-spot]';

describe.skipIf(!chromiumAvailable)('typing at the same spot', { timeout: 90_000 }, () => {
  const suite = browserSuite();

  it('keeps each person’s run of text whole at 10 ms per character, and both pages agree', async () => {
    const ann = await suite.person('Ann');
    const bob = await suite.person('Bob');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Start:\n' }] });
    await suite.share(ann, id, bob, 'EDITOR');
    await suite.openEditor(ann.page, id);
    await suite.openEditor(bob.page, id);

    // Several rounds, each on a fresh line: one lucky ordering is not proof.
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      for (const page of [ann.page, bob.page]) {
        await page.locator('[data-testid="editor"] .ql-editor').click();
        await page.keyboard.press('Control+End');
      }
      await Promise.all([ann.page.keyboard.type(ANN, { delay: 10 }), bob.page.keyboard.type(BOB, { delay: 10 })]);
      const text = await suite.settled([ann.page, bob.page], ann, id);
      const line = text.split('\n').at(-2)!;
      console.log(`[same spot] round ${round + 1}: ${JSON.stringify(line)}`);
      // Both runs whole, one after the other, at the end of the text.
      expect([ANN + BOB, BOB + ANN]).toContain(round === 0 ? line.slice('Start:'.length) : line);
      expect(await editorText(ann.page)).toBe(text);
      expect(await editorText(bob.page)).toBe(text);
      // The next round starts on a line of its own.
      await ann.page.keyboard.press('Control+End');
      await ann.page.keyboard.press('Enter');
      await suite.settled([ann.page, bob.page], ann, id);
    }
  });
});
