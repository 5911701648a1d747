// details: facts about a book (author, year, publisher, ISBNs) by numeric product id.

import type http from 'node:http';
import type { Env } from './_env.ts';
import { parseProductId } from './_product-id.ts';
import { allowMethods, createServer, decodeSegment, HttpError, sendJson } from './_server.ts';

export interface BookDetails {
  id: number;
  author: string;
  year: number;
  type: string;
  pages: number;
  publisher: string;
  language: string;
  'ISBN-10': string;
  'ISBN-13': string;
}

/** Every product id describes the same book; the id is echoed back. */
export function bookDetails(id: number): BookDetails {
  return {
    id,
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  };
}


export function createDetailsApp(_env: Env): http.Server {
  return createServer('details', (req, res, url) => {
    const path = url.pathname;
    if (path === '/health') {
      allowMethods(req, 'GET');
      sendJson(res, 200, { status: 'Details is healthy' });
      return;
    }
    if (path === '/details' || path.startsWith('/details/')) {
      allowMethods(req, 'GET');
      const segment = decodeSegment(path.slice('/details/'.length));
      const id = segment === null ? null : parseProductId(segment);
      if (id === null) throw new HttpError(400, 'please provide numeric product id');
      sendJson(res, 200, bookDetails(id));
      return;
    }
    throw new HttpError(404, `no route for ${path}`);
  });
}
