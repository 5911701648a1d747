// Request deadlines without a timer per request. Every request under the same timeout duration
// expires in the order it started, so one FIFO list per duration suffices: adding is appending,
// cancelling is unlinking (O(1), nothing retained), and one Node timer per list is armed for the
// head's deadline. A per-request setTimeout/clearTimeout pair costs several times more than the
// rest of a route's timeout bookkeeping.

/** Told when one of its entries' deadline passes. */
export interface DeadlineOwner {
  onDeadline(e: DeadlineEntry): void;
}

/** Something with a deadline in a DeadlineList; the list owns the link fields. */
export class DeadlineEntry {
  prev: DeadlineEntry | null = null;
  next: DeadlineEntry | null = null;
  list: DeadlineList | null = null;
  deadline = 0;
  constructor(readonly owner: DeadlineOwner) {}

  get armed(): boolean {
    return this.list !== null;
  }

  /** Cancels the deadline if armed. */
  cancel(): void {
    this.list?.remove(this);
  }
}

export class DeadlineList {
  readonly durationMs: number;
  #head: DeadlineEntry | null = null;
  #tail: DeadlineEntry | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(durationMs: number) {
    this.durationMs = durationMs;
  }

  /** Arms `e` to fire `durationMs` from now (re-arming it if it was armed). */
  add(e: DeadlineEntry, now: number = Date.now()): void {
    if (e.list !== null) e.list.remove(e);
    e.deadline = now + this.durationMs;
    e.list = this;
    e.next = null;
    e.prev = this.#tail;
    if (this.#tail !== null) this.#tail.next = e;
    else this.#head = e;
    this.#tail = e;
    if (this.#timer === null) this.#arm(e.deadline - now);
  }

  remove(e: DeadlineEntry): void {
    if (e.list !== this) return;
    if (e.prev !== null) e.prev.next = e.next;
    else this.#head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.#tail = e.prev;
    e.prev = e.next = null;
    e.list = null;
    // The timer stays armed: when it fires with nothing due it re-arms for the new head, or stops.
  }

  /** Entries armed (for tests). */
  get size(): number {
    let n = 0;
    for (let e = this.#head; e !== null; e = e.next) n++;
    return n;
  }

  #arm(inMs: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(0, inMs));
    this.#timer.unref();
  }

  #onTimer = (): void => {
    this.#timer = null;
    const now = Date.now();
    let e = this.#head;
    while (e !== null && e.deadline <= now) {
      this.remove(e);
      e.owner.onDeadline(e);
      e = this.#head;
    }
    if (e !== null && this.#timer === null) this.#arm(e.deadline - now);
  };
}

/** One list per duration, shared by every route with that timeout. */
const lists = new Map<number, DeadlineList>();

export function deadlineList(durationMs: number): DeadlineList {
  let l = lists.get(durationMs);
  if (l === undefined) lists.set(durationMs, (l = new DeadlineList(durationMs)));
  return l;
}
