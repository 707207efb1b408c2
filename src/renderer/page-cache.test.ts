import { describe, expect, it } from 'vitest';
import { PageCache, pagesOf } from './page-cache.js';

/** A promise and the functions that settle it, for answers that arrive when the test says. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('the pages of a long list', () => {
  it('names the pages of the rows on screen, and none past the last row', () => {
    expect(pagesOf(0, 30, 1000, 200)).toEqual([0]);
    expect(pagesOf(190, 30, 1000, 200)).toEqual([0, 1]);
    expect(pagesOf(990, 30, 1000, 200)).toEqual([4]);
    expect(pagesOf(0, 30, 0, 200)).toEqual([]);
  });

  it('keeps at most its limit, dropping the pages farthest from the one that arrived', () => {
    let changes = 0;
    const cache = new PageCache<number>(2, () => changes++, 3);
    for (const p of [0, 1, 2, 9]) cache.put(p, [p * 2, p * 2 + 1]);
    expect([0, 1, 2, 9].map((p) => cache.has(p))).toEqual([false, true, true, true]);
    expect(cache.row(19)).toBe(19);
    expect(cache.row(0)).toBeUndefined();
    expect(changes).toBe(4);
  });

  it('asks for a page once at a time, and drops the answers to a query it cleared', async () => {
    const cache = new PageCache<string>(1, () => {});
    const asked: ReturnType<typeof deferred<string>>[] = [];
    const ask = (): Promise<string> => {
      const answer = deferred<string>();
      asked.push(answer);
      return answer.promise;
    };
    const used: string[] = [];
    const use = (answer: string): string[] => {
      used.push(answer);
      return [answer];
    };
    const errors: unknown[] = [];
    cache.fetch(0, ask, use, (e) => errors.push(e));
    cache.fetch(0, ask, use, (e) => errors.push(e));
    expect(asked).toHaveLength(1);

    cache.clear();
    cache.fetch(0, ask, use, (e) => errors.push(e));
    expect(asked).toHaveLength(2);
    asked[0].resolve('old query');
    asked[1].resolve('new query');
    await Promise.resolve();
    await Promise.resolve();
    expect(used).toEqual(['new query']);
    expect(cache.row(0)).toBe('new query');

    // A failed page can be asked for again.
    cache.fetch(1, ask, use, (e) => errors.push(e));
    asked[2].reject(new Error('gone'));
    await Promise.resolve();
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    cache.fetch(1, ask, use, (e) => errors.push(e));
    expect(asked).toHaveLength(4);
  });
});
