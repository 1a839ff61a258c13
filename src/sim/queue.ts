interface Slot<T> {
  readonly tUs: number;
  readonly seq: number;
  readonly item: T;
}

/**
 * Pending events as a binary min-heap ordered by (time, sequence number): the sequence number counts
 * pushes, so events at the same time come out in the order they were scheduled, on every run.
 */
export class EventQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private seq = 0;

  push(tUs: number, item: T): void {
    const h = this.heap;
    h.push({ tUs, seq: this.seq++, item });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  peek(): Slot<T> | undefined {
    return this.heap[0];
  }

  pop(): Slot<T> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.tUs < b.tUs || (a.tUs === b.tUs && a.seq < b.seq);
}
