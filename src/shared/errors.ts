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
  if (!(e instanceof Error)) return false;
  const c: unknown = (e as unknown as { code?: unknown }).code;
  return typeof c === 'string' && c.startsWith('ISTHMUS_ERR_') && (code === undefined || c === code);
}
