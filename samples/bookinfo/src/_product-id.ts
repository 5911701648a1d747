/** Parses a path segment as a product id: a decimal integer, optionally signed. */
export function parseProductId(segment: string): number | null {
  if (!/^[+-]?\d{1,15}$/.test(segment)) return null;
  return Number(segment);
}
