// The helloworld program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM, naming
// SERVICE_VERSION (default v1) and HOSTNAME in its answers.
import { hostname } from 'node:os';
import { main } from '../../bookinfo/src/_server.ts';
import { createHelloworldApp } from './_helloworld-app.ts';

main('helloworld', createHelloworldApp({ version: process.env['SERVICE_VERSION'] || 'v1', instance: process.env['HOSTNAME'] || hostname() }), process.env);
