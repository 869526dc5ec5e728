/** An array with O(1) add and remove (swap with the last), for lists handed out every cycle. */
export class IndexedList<K, V> {
  readonly items: V[] = [];
  private readonly keys: K[] = [];
  private readonly index = new Map<K, number>();

  get size(): number { return this.items.length; }
  has(key: K): boolean { return this.index.has(key); }

  add(key: K, value: V): void {
    if (this.index.has(key)) return;
    this.index.set(key, this.items.length);
    this.items.push(value);
    this.keys.push(key);
  }

  delete(key: K): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    const last = this.items.length - 1;
    if (i !== last) {
      this.items[i] = this.items[last]!;
      this.keys[i] = this.keys[last]!;
      this.index.set(this.keys[i]!, i);
    }
    this.items.pop();
    this.keys.pop();
    this.index.delete(key);
    return true;
  }
}
