// The productpage program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { createProductpageApp } from './_productpage-app.ts';
import { main } from './_server.ts';

main('productpage', createProductpageApp(process.env), process.env);
