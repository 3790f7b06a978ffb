/**
 * Runs `work` over `items`, at most `n` at once (a Worker request holds 6
 * outgoing connections; libSQL and QStash calls are bounded the same way).
 */
export async function atMostAtOnce<T>(
  items: readonly T[],
  n: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
