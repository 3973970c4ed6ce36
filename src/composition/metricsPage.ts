/** A `/metrics` page of its own, for a process without the API (a worker alone) for Prometheus to scrape. */
import http from 'node:http';
import type { Metrics } from '../metrics';
import { serve } from './http';
import type { Stops } from './stops';

export async function serveMetricsPage(port: number, metrics: Metrics, say: (message: string) => void, stops: Stops): Promise<void> {
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (page) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(page),
      () => response.writeHead(500).end(),
    );
  });
  await serve(server, port, 'the metrics server', stops);
  say(`metrics at http://localhost:${port}/metrics`);
}
