// Error codes of the mesh CA. Callers match on `.code`, never on the class.

import { IsthmusError } from '../../shared/index.ts';

export const CaErrors = {
  /** The CSR is not one well-formed PKCS#10 request, or its signature does not verify. */
  CSR_INVALID: 'ISTHMUS_ERR_CA_CSR_INVALID',
  /** The CSR asks for anything other than exactly the caller's SPIFFE identity. */
  CSR_IDENTITY: 'ISTHMUS_ERR_CA_CSR_IDENTITY',
  /** The CSR's key is not EC P-256 or RSA of at least 2048 bits. */
  CSR_KEY: 'ISTHMUS_ERR_CA_CSR_KEY',
  /** The plug-in CA files (cacerts) are missing, unreadable or do not fit together. */
  PLUGIN_INVALID: 'ISTHMUS_ERR_CA_PLUGIN_INVALID',
  /** The CA state directory holds files that are unreadable or do not fit together. */
  STATE_INVALID: 'ISTHMUS_ERR_CA_STATE_INVALID',
  /** A root rotation was asked for when it is not possible (plug-in CA, or one already running). */
  ROTATION: 'ISTHMUS_ERR_CA_ROTATION',
  /** The signing certificate has expired or is not yet valid; nothing can be issued. */
  SIGNER_EXPIRED: 'ISTHMUS_ERR_CA_SIGNER_EXPIRED',
  /** An option or identity given to the CA is invalid (trust domain, TTL, names). */
  BAD_OPTION: 'ISTHMUS_ERR_CA_BAD_OPTION',
} as const;

export type CaErrorCode = (typeof CaErrors)[keyof typeof CaErrors];

export class CaError extends IsthmusError {
  constructor(code: CaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CaError';
  }
}
