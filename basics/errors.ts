/** Errors with a stable code, so that callers and logs can tell causes apart without parsing text. */
export class AgentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgentError';
  }
}

/** A device did not answer in time, or answered with something that is not a reply. */
export class DeviceError extends AgentError {
  constructor(code: 'TIMEOUT' | 'PROTOCOL' | 'UNAVAILABLE' | 'CLOSED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DeviceError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The errno code of a Node.js system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
