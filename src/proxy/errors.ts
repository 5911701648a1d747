// Error codes of the proxy. Callers match on `.code`, never on the class.

import { IsthmusError } from '../shared/index.ts';

export const ProxyErrorCode = {
  /** A request or response head is not valid HTTP/1.1 (request line, status line, header syntax). */
  BAD_MESSAGE: 'ISTHMUS_ERR_PROXY_BAD_MESSAGE',
  /** The header section is larger than the limit, or has too many fields. */
  HEADERS_TOO_LARGE: 'ISTHMUS_ERR_PROXY_HEADERS_TOO_LARGE',
  /** The HTTP version is not 1.0 or 1.1. */
  UNSUPPORTED_VERSION: 'ISTHMUS_ERR_PROXY_UNSUPPORTED_VERSION',
  /** Message framing is ambiguous or invalid (Content-Length / Transfer-Encoding). */
  BAD_FRAMING: 'ISTHMUS_ERR_PROXY_BAD_FRAMING',
  /** The chunked body encoding is invalid. */
  BAD_CHUNK: 'ISTHMUS_ERR_PROXY_BAD_CHUNK',
  /** A pushed config could not be compiled; the previous one stays in force. */
  CONFIG_INVALID: 'ISTHMUS_ERR_PROXY_CONFIG_INVALID',
  /** A listener of a pushed config could not be bound. */
  LISTENER_BIND: 'ISTHMUS_ERR_PROXY_LISTENER_BIND',
  /** A command-line flag is missing or malformed. */
  BAD_FLAG: 'ISTHMUS_ERR_PROXY_BAD_FLAG',
} as const;

export type ProxyErrorCode = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

/** A message the HTTP/1.1 codec refuses; `status` is what a server answers to it. */
export class HttpParseError extends IsthmusError {
  readonly status: number;
  constructor(code: ProxyErrorCode, status: number, message: string) {
    super(code, message);
    this.name = 'HttpParseError';
    this.status = status;
  }
}

export class ProxyConfigError extends IsthmusError {
  /** Every problem found, each prefixed by where it is in the config. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(ProxyErrorCode.CONFIG_INVALID, `config rejected: ${problems.join('; ')}`);
    this.name = 'ProxyConfigError';
    this.problems = problems;
  }
}
