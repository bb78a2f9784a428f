import type { LinkFailure } from './link.js';

/** The "this link died" signal a Link implementation keeps: a once-resolved promise plus removable listeners. */
export class LinkDeath {
  readonly closed: Promise<LinkFailure>;
  private resolve!: (f: LinkFailure) => void;
  private failure: LinkFailure | undefined;
  private readonly listeners = new Set<(f: LinkFailure) => void>();

  constructor() {
    this.closed = new Promise((r) => {
      this.resolve = r;
    });
  }

  get dead(): boolean {
    return this.failure !== undefined;
  }

  /** Marks it dead; answers false when it already was. */
  die(failure: LinkFailure): boolean {
    if (this.failure) return false;
    this.failure = failure;
    this.resolve(failure);
    for (const l of [...this.listeners]) l(failure);
    this.listeners.clear();
    return true;
  }

  watch(listener: (f: LinkFailure) => void): () => void {
    if (this.failure) {
      listener(this.failure);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
