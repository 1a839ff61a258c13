/** Streams the CLI writes to; tests pass their own. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stderr is a terminal (live progress is shown only there). */
  readonly tty: boolean;
}

