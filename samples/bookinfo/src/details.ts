// The details program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { createDetailsApp } from './_details-app.ts';
import { main } from './_server.ts';

main('details', createDetailsApp(process.env), process.env);
