// The pages of a long list's rows that the page holds, fetched from the backend where scrolling
// rests. A list of 10 million packets that kept every page a sweep passed, copying its map at
// each arrival, grew its heap by 70 MB in one sweep and stalled frames for 250 ms collecting it.

/** Pages kept on hand (the rest are fetched again when scrolled back to). */
export const MAX_PAGES = 40;
/** How long scrolling rests before the rows there are asked for. */
export const SCROLL_REST_MS = 60;

/** The pages holding rows `first` to `first + count - 1`, those of the `total` rows that exist. */
export function pagesOf(first: number, count: number, total: number, pageRows: number): number[] {
  const last = Math.min(total, first + count) - 1;
  const out: number[] = [];
  for (let p = Math.floor(first / pageRows); p <= Math.floor(last / pageRows); p++) out.push(p);
  return out;
}

/**
 * Pages of rows for one query, changed in place: an arrival costs one map entry, not a copy of
 * the map. Holds at most `maxPages`, dropping those farthest from the page that arrived; never
 * asks for a page twice at once; drops the answers to a query `clear` ended.
 */
export class PageCache<Row> {
  private readonly pages = new Map<number, Row[]>();
  /** The pages being fetched for the current query. */
  private inFlight = new Set<number>();

  /** `onChange` runs after each change (the component draws again). */
  constructor(
    readonly pageRows: number,
    private readonly onChange: () => void,
    private readonly maxPages = MAX_PAGES,
  ) {}

  row(index: number): Row | undefined {
    return this.pages.get(Math.floor(index / this.pageRows))?.[index % this.pageRows];
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  /** A new query: forget every page, and drop the answers still to come. */
  clear(): void {
    this.pages.clear();
    this.inFlight = new Set();
    this.onChange();
  }

  /**
   * Asks for page `page` unless it is being asked for already (even when it is on hand: the
   * caller decides that). `use` turns the answer into the page's rows; it runs only if the
   * query is still current, so it may also set what the answer carries (a total, say).
   */
  fetch<Answer>(
    page: number,
    ask: () => Promise<Answer>,
    use: (answer: Answer) => Row[],
    onError: (error: unknown) => void,
  ): void {
    const inFlight = this.inFlight;
    if (inFlight.has(page)) return;
    inFlight.add(page);
    ask().then(
      (answer) => {
        inFlight.delete(page);
        if (this.inFlight === inFlight) this.put(page, use(answer));
      },
      (error: unknown) => {
        inFlight.delete(page);
        onError(error);
      },
    );
  }

  /** Keeps `rows` as page `page`; past `maxPages`, drops the pages farthest from it. */
  put(page: number, rows: Row[]): void {
    this.pages.set(page, rows);
    while (this.pages.size > this.maxPages) {
      let farthest = page;
      for (const p of this.pages.keys()) if (Math.abs(p - page) > Math.abs(farthest - page)) farthest = p;
      this.pages.delete(farthest);
    }
    this.onChange();
  }
}
