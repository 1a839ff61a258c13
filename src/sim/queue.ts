/**
 * Pending events as a binary min-heap ordered by (time, sequence number): the sequence number counts
 * pushes, so events at the same time come out in the order they were scheduled, on every run.
 * Times, sequence numbers and items are kept in three parallel arrays, so a push allocates nothing
 * beyond the item itself.
 */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(tUs: number, item: T): void {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const seq = this.seq++;
    let i = items.length;
    times.push(tUs);
    seqs.push(seq);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < tUs || (pt === tUs && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      items[i] = items[parent];
      i = parent;
    }
    times[i] = tUs;
    seqs[i] = seq;
    items[i] = item;
  }

  /** The time of the next item; undefined when the queue is empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const lastT = times.pop()!;
    const lastS = seqs.pop()!;
    const last = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      let mt = times[l];
      let ms = seqs[l];
      const r = l + 1;
      if (r < n) {
        const rt = times[r];
        if (rt < mt || (rt === mt && seqs[r] < ms)) {
          m = r;
          mt = rt;
          ms = seqs[r];
        }
      }
      if (lastT < mt || (lastT === mt && lastS < ms)) break;
      times[i] = mt;
      seqs[i] = ms;
      items[i] = items[m];
      i = m;
    }
    times[i] = lastT;
    seqs[i] = lastS;
    items[i] = last;
    return top;
  }
}
