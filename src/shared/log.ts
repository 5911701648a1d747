// Minimal leveled logger: one line per event, `time level component message key=value ...`,
// to stderr. ISTHMUS_LOG=debug|info|warn|error (default info).

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

const threshold = LEVELS[(process.env['ISTHMUS_LOG'] as Level | undefined) ?? 'info'] ?? LEVELS.info;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function fmt(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  let s = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const str = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
    s += ` ${k}=${/[\s"]/.test(str) ? JSON.stringify(str) : str}`;
  }
  return s;
}

export function createLogger(component: string): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    process.stderr.write(`${new Date().toISOString()} ${level} ${component} ${msg}${fmt(fields)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
