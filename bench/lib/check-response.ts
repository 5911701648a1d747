// One request with curl before any load: the shape must answer 200 with the upstream's exact body,
// or the run stops here with what came back instead.

import { execFile } from 'node:child_process';
import { BODY } from './nginx.ts';

export async function checkResponse(label: string, port: number, host: string): Promise<void> {
  const marker = '\n--isthmus-bench-status:';
  const args = ['-sS', '--max-time', '5', '-H', `Host: ${host}`, '-w', `${marker}%{http_code}`, `http://127.0.0.1:${port}/`];
  const out = await new Promise<string>((resolve, reject) => {
    execFile('curl', args, { encoding: 'latin1', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${label}: curl http://127.0.0.1:${port}/ failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
  const i = out.lastIndexOf(marker);
  const status = out.slice(i + marker.length);
  const body = out.slice(0, i);
  if (status !== '200' || body !== BODY) {
    const shown = body.length > 300 ? `${body.slice(0, 300)}... (${body.length} bytes)` : body;
    throw new Error(`${label} does not serve the upstream's 1 KB body: GET / with Host ${host} on 127.0.0.1:${port} answered ${status}, ${body.length} bytes:\n${shown}`);
  }
}
