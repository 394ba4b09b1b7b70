// Caches a LoreContext keeps between verb calls, held on the context so none hides in module state.

/** Names one cached value and its type; each domain declares the keys of its own caches. */
export interface CacheKey<T> {
  readonly name: string;
  /** Never set: it only carries `T` so that `LoreCaches.get` is typed. */
  readonly type?: T;
}

export function cacheKey<T>(name: string): CacheKey<T> {
  return { name };
}

export class LoreCaches {
  private readonly values = new Map<CacheKey<unknown>, unknown>();

  /** The value under `key`, made by `create` on first use. */
  get<T>(key: CacheKey<T>, create: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = create();
    this.values.set(key, value);
    return value;
  }
}
