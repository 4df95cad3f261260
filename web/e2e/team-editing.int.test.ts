// Team editing in Chromium (issue 17): the comments margin beside the
// editor, with each thread's text highlighted, and suggesting mode, where
// typing becomes suggestions shown to everyone (struck-through deletions,
// insert markers, a redline in the margin) that an editor accepts or
// rejects. Two people, two browsers, a real server.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, chromiumAvailable, editorText } from './support.ts';

/** Puts the caret (or a selection) on the text of the editor's `line`-th paragraph, as a mouse would: a DOM selection Quill reads. */
async function select(page: Page, line: number, start: number, end = start): Promise<void> {
  await page.locator('[data-testid="editor"] .ql-editor p').nth(line).evaluate(
    (p, [from, to]) => {
      (p.closest('.ql-editor') as HTMLElement).focus();
      // The text node and offset of the `n`-th character of the paragraph.
      const at = (n: number): [Node, number] => {
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let node = walker.nextNode();
        while (node && n > node.textContent!.length) {
          n -= node.textContent!.length;
          node = walker.nextNode();
        }
        return [node!, n];
      };
      const range = document.createRange();
      range.setStart(...at(from!));
      range.setEnd(...at(to!));
      document.getSelection()!.removeAllRanges();
      document.getSelection()!.addRange(range);
    },
    [start, end],
  );
  // Quill takes a DOM selection on its next selectionchange.
  await page.waitForFunction(() => document.getSelection()!.rangeCount > 0);
}

describe.skipIf(!chromiumAvailable)('team editing in Chromium', { timeout: 90_000 }, () => {
  const suite = browserSuite();
  const { person, share, head, openEditor, settled } = suite;
  const margin = (page: Page) => page.getByTestId('margin');

  it('one person comments and suggests while another types, the other accepts, and both end with the same text', async () => {
    const ann = await person('Ann');
    const dan = await person('Dan');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Hello world\nSecond line\n' }] });
    await share(ann, id, dan, 'COMMENTER');
    await openEditor(ann.page, id);
    await openEditor(dan.page, id);

    // A commenter is always suggesting; the owner is not, and may switch.
    expect(await dan.page.getByTestId('suggesting-switch').isChecked()).toBe(true);
    expect(await dan.page.getByTestId('suggesting-switch').isDisabled()).toBe(true);
    expect(await ann.page.getByTestId('suggesting-switch').isChecked()).toBe(false);

    // Dan comments on "world": Ann sees the thread live, its text highlighted.
    await select(dan.page, 0, 6, 11);
    await margin(dan.page).getByTestId('add-comment').click();
    await margin(dan.page).getByLabel('New comment').fill('Which world, @ann?');
    await margin(dan.page).getByRole('button', { name: 'Comment', exact: true }).click();
    // It names Ann (a member): the words are marked as a mention, as written.
    const annThread = margin(ann.page).getByTestId('margin-thread');
    await annThread.locator('.comment').filter({ hasText: 'Which world, @ann?' }).locator('.mention', { hasText: /^@ann$/ }).waitFor();
    await ann.page.locator('.team-overlay .team-mark.comment').waitFor();
    // Its card lines up with its text (the overlay is redrawn as things move: measure both at once).
    await ann.page.waitForFunction(() => {
      const mark = document.querySelector('.team-overlay .team-mark.comment');
      const card = document.querySelector('[data-testid="margin-thread"]');
      return mark && card && Math.abs(mark.getBoundingClientRect().top - card.getBoundingClientRect().top) < 1;
    });
    // Clicking the highlighted text opens its card; Ann replies there, and Dan gets the reply live.
    const at = await ann.page.evaluate(() => {
      const r = document.querySelector('.team-overlay .team-mark.comment')!.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    });
    await ann.page.mouse.click(at.x, at.y);
    await margin(ann.page).locator('[data-testid="margin-thread"].team-card.focused').waitFor();
    await ann.page.locator('.team-overlay .team-mark.comment.focused').waitFor();
    await annThread.getByLabel('Reply').fill('This one.');
    await annThread.getByRole('button', { name: 'Reply' }).click();
    await margin(dan.page).getByTestId('margin-thread').getByText('This one.').waitFor();

    // Dan suggests " there" after "Hello" while Ann types at the start of the next line.
    await select(dan.page, 0, 5);
    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await select(ann.page, 1, 0);
    await Promise.all([dan.page.keyboard.type(' there', { delay: 20 }), ann.page.keyboard.type('A ', { delay: 20 })]);

    // Once his typing pauses it is a suggestion, everywhere: no text changed.
    const annSuggestion = margin(ann.page).getByTestId('margin-suggestion');
    await annSuggestion.getByText('there', { exact: true }).waitFor();
    expect(await annSuggestion.locator('ins').textContent()).toBe(' there');
    await ann.page.locator('.team-overlay .team-mark.insert').first().waitFor();
    await margin(dan.page).getByTestId('margin-suggestion').waitFor();
    expect(await settled([ann.page, dan.page], ann, id)).toBe('Hello world\nA Second line\n');
    for (const page of [ann.page, dan.page]) expect(await editorText(page)).toBe('Hello world\nA Second line\n');
    // A commenter has no Accept.
    expect(await margin(dan.page).getByRole('button', { name: 'Accept' }).count()).toBe(0);

    // Dan also suggests deleting "Second ": Ann sees it struck through, and rejects it.
    await select(dan.page, 1, 2, 9);
    await dan.page.keyboard.press('Delete');
    await margin(ann.page).getByTestId('margin-suggestion').locator('del', { hasText: 'Second ' }).waitFor();
    await ann.page.locator('.team-overlay .team-mark.delete').first().waitFor();
    await margin(dan.page).getByTestId('margin-suggestion').nth(1).waitFor();
    expect(await editorText(dan.page)).toBe('Hello world\nA Second line\n');
    await margin(ann.page).getByTestId('margin-suggestion').filter({ has: ann.page.locator('del') }).getByRole('button', { name: 'Reject' }).click();
    await ann.page.locator('.team-overlay .team-mark.delete').waitFor({ state: 'detached' });
    await margin(dan.page).getByTestId('margin-suggestion').nth(1).waitFor({ state: 'detached' });

    // Ann accepts the insert: both editors end with the same text, the thread still on "world".
    await annSuggestion.getByRole('button', { name: 'Accept' }).click();
    await margin(dan.page).getByTestId('margin-suggestion').waitFor({ state: 'detached' });
    const text = await settled([ann.page, dan.page], ann, id);
    expect(text).toBe('Hello there world\nA Second line\n');
    for (const page of [ann.page, dan.page]) expect(await editorText(page)).toBe(text);

    // Ann resolves the thread from its card; it leaves both margins and its highlight goes.
    await annThread.getByRole('button', { name: 'Resolve' }).click();
    await margin(dan.page).getByTestId('margin-thread').waitFor({ state: 'detached' });
    await ann.page.locator('.team-overlay .team-mark.comment').waitFor({ state: 'detached' });
  });
});
