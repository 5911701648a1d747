// helloworld: answers `GET /hello` with its version and instance, as Istio's helloworld sample
// does (`Hello version: v1, instance: helloworld-v1-...`), so repeated calls show which
// deployment (a version, or a locality in the locality load balancing tasks) served each one.
//
// `POST /fail` makes this instance answer 503 to /hello until `POST /recover`: a stand-in for
// draining its sidecar's listeners, to watch outlier detection and locality failover move traffic.

import type http from 'node:http';
import { allowMethods, createServer, HttpError, sendText } from '../../bookinfo/src/_server.ts';

export interface HelloworldOptions {
  /** SERVICE_VERSION: the version named in each answer. */
  version: string;
  /** HOSTNAME: the instance (pod) named in each answer. */
  instance: string;
}

export function createHelloworldApp(o: HelloworldOptions): http.Server {
  let failing = false;
  return createServer('helloworld', (req, res, url) => {
    switch (url.pathname) {
      case '/hello':
        allowMethods(req, 'GET');
        if (failing) sendText(res, 503, `instance ${o.instance} (version ${o.version}) is failing\n`);
        else sendText(res, 200, `Hello version: ${o.version}, instance: ${o.instance}\n`);
        return;
      case '/fail':
      case '/recover':
        allowMethods(req, 'POST');
        failing = url.pathname === '/fail';
        sendText(res, 200, failing ? 'failing\n' : 'serving\n');
        return;
      default:
        throw new HttpError(404, `no route for ${url.pathname}`);
    }
  });
}
