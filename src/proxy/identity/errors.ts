// Error codes of the proxy's workload identity. Callers match on `.code`, never on the class.

import { IsthmusError } from '../../shared/index.ts';

export const IdentityErrors = {
  /** The control plane could not be reached, or answered the sign request with an error. */
  SIGN_FAILED: 'ISTHMUS_ERR_PROXY_IDENTITY_SIGN_FAILED',
  /** The certificate the control plane returned is not for this key and identity, or does not chain to the returned roots. */
  CERT_REJECTED: 'ISTHMUS_ERR_PROXY_IDENTITY_CERT_REJECTED',
  /** No workload certificate yet (before the first one arrives). */
  NOT_READY: 'ISTHMUS_ERR_PROXY_IDENTITY_NOT_READY',
  /** The workload identity was stopped before its first certificate arrived. */
  STOPPED: 'ISTHMUS_ERR_PROXY_IDENTITY_STOPPED',
  /** An option or a trust bundle given to the workload identity is invalid. */
  BAD_OPTION: 'ISTHMUS_ERR_PROXY_IDENTITY_BAD_OPTION',
} as const;

export type IdentityErrorCode = (typeof IdentityErrors)[keyof typeof IdentityErrors];

export class IdentityError extends IsthmusError {
  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'IdentityError';
  }
}
