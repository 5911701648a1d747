// The ratings program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { createRatingsApp } from './_ratings-app.ts';
import { main } from './_server.ts';

main('ratings', createRatingsApp(process.env), process.env);
