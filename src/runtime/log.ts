/** One structured log record of the runtime: written as one JSON line on stderr unless a logger is given. */
export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  /** What happened, e.g. `connection-closed`, `message-dropped`, `handler-failed`. */
  readonly event: string;
  /** The node that logs. */
  readonly node: string;
  readonly message: string;
  readonly [key: string]: string | number | undefined;
}

export type Logger = (entry: LogEntry) => void;

export const stderrLogger: Logger = (entry) => {
  process.stderr.write(JSON.stringify(entry) + '\n');
};
