/** Starting and stopping the process's HTTP servers. */
import http from 'node:http';
import type { Stops } from './stops';

/** Listens on every interface, stopped with the service; resolves with the port (the system's choice for 0). */
export function serve(server: http.Server, port: number, name: string, stops: Stops): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      stops.push(name, () => closeServer(server));
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting connections, lets in-flight requests finish (bounded), then closes idle ones. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
