// Streaming validator/decoder for the chunked transfer coding (RFC 9112 §7.1). The proxy passes
// chunked bodies through byte for byte; this state machine runs over the same bytes to know where
// the message ends and to refuse bad framing (bad sizes, missing CRLFs, oversized extensions or
// trailers). With a sink it also hands out the decoded data, for peers that cannot take chunked
// (HTTP/1.0 clients).

import { HttpParseError, ProxyErrorCode } from './errors.ts';
import { MAX_HEAD_BYTES } from './http1-parser.ts';

const S_SIZE_START = 0;
const S_SIZE = 1;
const S_SIZE_WS = 2;
const S_EXT = 3;
const S_SIZE_LF = 4;
const S_DATA = 5;
const S_DATA_CR = 6;
const S_DATA_LF = 7;
const S_TRAILER_START = 8;
const S_TRAILER_LINE = 9;
const S_TRAILER_LF = 10;
const S_END_LF = 11;
const S_DONE = 12;

const MAX_EXT_BYTES = 4096;
const MAX_SIZE_DIGITS = 16;

/** Receives decoded body bytes `buf[start, end)`. */
export type DataSink = (buf: Buffer, start: number, end: number) => void;

// Hex digit value by byte, -1 when not a hex digit.
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

function badChunk(message: string): HttpParseError {
  return new HttpParseError(ProxyErrorCode.BAD_CHUNK, 400, `invalid chunked encoding: ${message}`);
}

export class ChunkedDecoder {
  #state = S_SIZE_START;
  #size = 0;
  #digits = 0;
  #ext = 0;
  #trailer = 0;
  /** Decoded body bytes seen so far. */
  bodyBytes = 0;

  get done(): boolean {
    return this.#state === S_DONE;
  }

  /**
   * Consumes `buf[start, end)` up to the end of the message. Returns the index just past the last
   * byte that belongs to this body (`end` unless the message finished earlier). Throws
   * HttpParseError on bad framing. Calls `sink` with decoded data segments when given.
   */
  execute(buf: Buffer, start: number, end: number, sink: DataSink | null): number {
    let i = start;
    let state = this.#state;
    while (i < end) {
      if (state === S_DATA) {
        // The bulk of the bytes: skip over data in one step.
        const n = Math.min(this.#size, end - i);
        if (sink !== null) sink(buf, i, i + n);
        this.bodyBytes += n;
        this.#size -= n;
        i += n;
        if (this.#size === 0) state = S_DATA_CR;
        continue;
      }
      const c = buf[i] as number;
      i++;
      switch (state) {
        case S_SIZE_START: {
          const d = HEX[c] as number;
          if (d < 0) {
            this.#state = state;
            throw badChunk('chunk size is not a hex number');
          }
          this.#size = d;
          this.#digits = 1;
          state = S_SIZE;
          break;
        }
        case S_SIZE: {
          const d = HEX[c] as number;
          if (d >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS || this.#size > (Number.MAX_SAFE_INTEGER - d) / 16) {
              throw badChunk('chunk size too large');
            }
            this.#size = this.#size * 16 + d;
          } else if (c === 13) state = S_SIZE_LF;
          else if (c === 59 /* ; */) {
            this.#ext = 0;
            state = S_EXT;
          } else if (c === 32 || c === 9) state = S_SIZE_WS;
          else throw badChunk('unexpected byte after chunk size');
          break;
        }
        case S_SIZE_WS:
          if (c === 59) {
            this.#ext = 0;
            state = S_EXT;
          } else if (c !== 32 && c !== 9) throw badChunk('unexpected byte after chunk size');
          break;
        case S_EXT:
          if (c === 13) state = S_SIZE_LF;
          else if ((c < 32 && c !== 9) || c === 127) throw badChunk('control character in chunk extension');
          else if (++this.#ext > MAX_EXT_BYTES) throw badChunk('chunk extension too long');
          break;
        case S_SIZE_LF:
          if (c !== 10) throw badChunk('chunk size line not ended by CRLF');
          if (this.#size === 0) {
            this.#trailer = 0;
            state = S_TRAILER_START;
          } else state = S_DATA;
          break;
        case S_DATA_CR:
          if (c !== 13) throw badChunk('chunk data not followed by CRLF');
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== 10) throw badChunk('chunk data not followed by CRLF');
          state = S_SIZE_START;
          break;
        case S_TRAILER_START:
          if (c === 13) state = S_END_LF;
          else if (c === 32 || c === 9) throw badChunk('obsolete line folding in trailer');
          else if (c < 33 || c === 127 || c === 58) throw badChunk('invalid trailer field');
          else {
            this.#trailer++;
            state = S_TRAILER_LINE;
          }
          break;
        case S_TRAILER_LINE:
          if (c === 13) state = S_TRAILER_LF;
          else if ((c < 32 && c !== 9) || c === 127) throw badChunk('control character in trailer');
          else if (++this.#trailer > MAX_HEAD_BYTES) throw badChunk('trailer section too large');
          break;
        case S_TRAILER_LF:
          if (c !== 10) throw badChunk('trailer line not ended by CRLF');
          state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== 10) throw badChunk('last chunk not ended by CRLF');
          this.#state = S_DONE;
          return i;
        default:
          // S_DONE: the caller should have stopped; refuse rather than misframe.
          throw badChunk('data after the end of the chunked body');
      }
    }
    this.#state = state;
    return i;
  }
}
