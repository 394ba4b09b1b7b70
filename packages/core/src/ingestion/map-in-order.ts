// Runs an async step over a stream with a bounded number in flight, yielding results in input order.

/**
 * Starts `transform` for up to `window` items ahead and yields their results strictly in input
 * order, whatever finishes first: the slow part (reading, embedding) overlaps whatever the
 * consumer does with earlier results, rows land in the same order on every run, and at most
 * `window` results are held. A failure surfaces when its turn comes; the stream then stops.
 */
export async function* mapInOrder<Item, Result>(
  items: Iterable<Item> | AsyncIterable<Item>,
  window: number,
  transform: (item: Item) => Promise<Result>,
): AsyncGenerator<Result> {
  const iterator =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const pending: Promise<Result>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < Math.max(1, window)) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
        } else {
          const started = transform(next.value);
          // Failures surface when their turn comes; until then they must not count as unhandled.
          started.catch(() => {});
          pending.push(started);
        }
      }
      const head = pending.shift();
      if (!head) return;
      yield await head;
    }
  } finally {
    await iterator.return?.();
  }
}
