// Errors carry a stable string code (`ISTHMUS_ERR_<AREA>_<NAME>`); callers match on `.code`.

export class IsthmusError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'IsthmusError';
  }
}

export function isIsthmusError(e: unknown, code?: string): e is IsthmusError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' &&
    (e as { code: string }).code.startsWith('ISTHMUS_ERR_') && (code === undefined || (e as { code: string }).code === code);
}
