// sleep: the client workload. It does nothing of its own; it exists so there is a pod, with a
// service account and a sidecar, to send requests from (through its sidecar, the pod's
// HTTP_PROXY). The one route answers `sleep`, which gives the pod a port to be ready on.

import type http from 'node:http';
import { allowMethods, createServer, HttpError, sendText } from '../../bookinfo/src/_server.ts';

export function createSleepApp(): http.Server {
  return createServer('sleep', (req, res, url) => {
    if (url.pathname !== '/') throw new HttpError(404, `no route for ${url.pathname}`);
    allowMethods(req, 'GET');
    sendText(res, 200, 'sleep');
  });
}
