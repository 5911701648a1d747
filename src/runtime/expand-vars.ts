/**
 * Kubernetes' `$(VAR)` expansion in command, args and env values: a defined variable is replaced,
 * an undefined one is left as written, and `$$(VAR)` escapes to a literal `$(VAR)`.
 */
export function expandVars(s: string, env: Record<string, string | undefined>): string {
  return s.replace(/\$\$\(|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$(' : env[name] ?? m);
}
