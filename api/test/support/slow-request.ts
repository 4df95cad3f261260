// A request the node is still serving: a POST whose headers have arrived
// and whose body has not (the node has started it, and waits for the rest).
import { request } from 'node:http';

export interface SlowRequest {
  /** Sends the rest of the body; resolves with the status of the answer. */
  finish(): Promise<number>;
}

export function slowRequest(baseUrl: string, body: string): SlowRequest {
  const bytes = Buffer.from(body);
  const req = request(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length } });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  // Observed by finish(); a test that fails before it must not add an unhandled rejection when the node stops.
  answered.catch(() => {});
  req.flushHeaders();
  req.write(bytes.subarray(0, 1));
  return {
    finish() {
      req.end(bytes.subarray(1));
      return answered;
    },
  };
}
