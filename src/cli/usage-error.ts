/** Something the user gave us is wrong: exit code 2 with this one message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
