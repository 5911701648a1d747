// Runs wrk (closed loop: each connection sends its next request when the previous answer is in)
// and parses its summary.

import type { ProcessGroup } from './process-group.ts';
import { describeExit } from './process-group.ts';

export interface WrkResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
}

export function parseWrk(out: string, connections: number): WrkResult {
  const num = (re: RegExp): number | null => {
    const m = re.exec(out);
    return m === null ? null : Number(m[1]);
  };
  const requests = num(/(\d+) requests in ([\d.]+)(?:ms|s|m)/);
  const rps = num(/Requests\/sec:\s+([\d.]+)/);
  if (requests === null || rps === null) throw new Error(`cannot parse wrk output:\n${out}`);
  const durM = /\d+ requests in ([\d.]+)(ms|s|m)\b/.exec(out);
  const dur = durM === null ? 0 : Number(durM[1]) * (durM[2] === 'ms' ? 0.001 : durM[2] === 'm' ? 60 : 1);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((s, v) => s + Number(v), 0);
  return { connections, durationSeconds: dur, requests, requestsPerSecond: rps, non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) ?? 0, socketErrors };
}

/** One wrk run, one thread, against `http://127.0.0.1:<port>/` with the given Host header. */
export async function runWrk(group: ProcessGroup, port: number, host: string, connections: number, seconds: number): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`];
  const child = group.spawn(`wrk -c${connections}`, 'wrk', args);
  // wrk stops itself after -d; the timer only guards against a hang.
  const guard = setTimeout(() => void group.stop(child, 1000), (seconds + 20) * 1000);
  const status = await child.exited;
  clearTimeout(guard);
  await group.stop(child);
  if (status.code !== 0) throw new Error(`wrk failed (${describeExit(status)}):\n${child.outputTail}`);
  return parseWrk(child.stdout, connections);
}
