// The httpbin program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { main } from '../../bookinfo/src/_server.ts';
import { createHttpbinApp } from './_httpbin-app.ts';

main('httpbin', createHttpbinApp(), process.env);
