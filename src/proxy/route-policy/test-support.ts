// A fake exchange for the route-policy filter tests: the jwt fake, plus direct-reply headers,
// flags joined the way the live exchange joins them, and the response header operations' result.

import { FakeExchange, type FakeRequest } from '../jwt/fake-exchange.ts';
import { compose, type Filter } from '../filter.ts';

export class PolicyExchange extends FakeExchange {
  /** Headers given to directReply. */
  replyHeaders: [string, string][] = [];
  replies = 0;

  override localReply(status: number, flag: string, reason: string): void {
    this.replies++;
    if (flag !== '-') this.flags = this.flags === '' ? flag : `${this.flags},${flag}`;
    const f = this.flags;
    super.localReply(status, flag, reason);
    this.flags = f;
  }

  override directReply(status: number, body: string, headers?: readonly (readonly [string, string])[]): void {
    this.replies++;
    this.replyHeaders = (headers ?? []).map(([k, v]) => [k, v]);
    super.directReply(status, body);
  }

  replyHeader(name: string): string | undefined {
    return this.replyHeaders.find(([k]) => k === name)?.[1];
  }

  /** Response header lines the ops would append, as `name: value` strings. */
  responseLines(): string[] {
    return this.responseHeaderOps.lines().split('\r\n').filter((l) => l !== '');
  }
}

export function exchange(req: FakeRequest = {}): PolicyExchange {
  return new PolicyExchange(req);
}

/** Runs `ex` through `filters` with a terminal that records the pass. */
export function run(filters: readonly Filter[], ex: PolicyExchange): PolicyExchange {
  compose(filters, (e) => (e as PolicyExchange).pass())(ex);
  return ex;
}
