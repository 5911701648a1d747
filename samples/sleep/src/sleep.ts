// The sleep program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { main } from '../../bookinfo/src/_server.ts';
import { createSleepApp } from './_sleep-app.ts';

main('sleep', createSleepApp(), process.env);
