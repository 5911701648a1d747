// The one metric productpage exports: how its calls to other services ended, as a Prometheus
// counter `request_result{destination_app, response_code}` (samples named `request_result_total`).

export class RequestResultCounter {
  readonly #counts = new Map<string, number>();

  /** `code` is the upstream status, or the status productpage answered with when there was none. */
  inc(destinationApp: string, code: number): void {
    const key = `${destinationApp}\u0000${code}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Prometheus text exposition format, samples sorted by labels. */
  render(): string {
    const lines = ['# HELP request_result Outcomes of the calls productpage made to other services.', '# TYPE request_result counter'];
    const keys = [...this.#counts.keys()].sort();
    for (const key of keys) {
      const [app = '', code = ''] = key.split('\u0000');
      lines.push(`request_result_total{destination_app="${escapeLabel(app)}",response_code="${escapeLabel(code)}"} ${this.#counts.get(key) ?? 0}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
