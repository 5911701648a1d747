// The reviews program: serves on HOST:PORT (default 127.0.0.1:9080) until SIGTERM.
import { createReviewsApp } from './_reviews-app.ts';
import { main } from './_server.ts';

main('reviews', createReviewsApp(process.env), process.env);
