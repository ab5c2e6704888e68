/**
 * CLI failures. Each carries the process exit code, so `main()` prints one clear line
 * instead of a stack trace: 1 = the cluster answered but the answer is bad news
 * (unhealthy ring, forget refused), 2 = usage, connection or unexpected HTTP errors.
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit code for usage, connection and protocol errors. */
export const EXIT_USAGE = 2;
/** Exit code for a cluster that answered with bad news. */
export const EXIT_UNHEALTHY = 1;

/** The server answered with a status we did not expect; `status` and `body` let commands map known ones. */
export class HttpStatusError extends CliError {
  readonly status: number;
  readonly body: string;
  constructor(method: string, url: string, status: number, statusText: string, body: string) {
    const detail = body.length > 0 ? `: ${body}` : '';
    super(`${method} ${url}: ${status} ${statusText}${detail}`, EXIT_USAGE);
    this.name = 'HttpStatusError';
    this.status = status;
    this.body = body;
  }
}
