// Hop-by-hop header fields (RFC 9110 §7.6.1): never forwarded. Upgrade is dropped too until
// WebSocket support exists.

/** True for a lower-case field name that must not be forwarded. */
export function isHopByHop(name: string, connectionTokens: readonly string[] | null): boolean {
  // Switch on length first: most names fail on one integer compare.
  switch (name.length) {
    case 2:
      if (name === 'te') return true;
      break;
    case 7:
      if (name === 'upgrade') return true;
      break;
    case 10:
      if (name === 'connection' || name === 'keep-alive') return true;
      break;
    case 16:
      if (name === 'proxy-connection') return true;
      break;
    case 19:
      if (name === 'proxy-authorization') return true;
      break;
  }
  return connectionTokens !== null && connectionTokens.includes(name);
}
