// The X.509 library, initialised once: its dependency injection needs the reflect-metadata
// polyfill loaded before the library itself, and it uses Node's webcrypto as its provider.
// Every module of the CA imports the library from here, never directly.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto);

export { x509 };
