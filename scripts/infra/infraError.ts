/** One line, saying what went wrong and what to do. The CLI prints only the message. */
export class InfraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfraError';
  }
}
