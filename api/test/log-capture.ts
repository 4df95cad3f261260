// A real pino logger that writes to memory, for tests that assert what a
// node logs (levels, codes) or wait for a line it logs.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../src/logger.ts';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface CapturedLogs {
  logger: Logger;
  lines: LogLine[];
  /** Resolves with the first line (logged from now on) that `match` accepts; rejects after `timeoutMs` saying what it waited for. */
  next(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

export function captureLogs(level = 'info'): CapturedLogs {
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text) continue;
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        for (const waiter of [...waiters]) waiter(line);
      }
      done();
    },
  });
  return {
    logger: pino({ level }, stream),
    lines,
    next(match, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no log line ${what} within ${timeoutMs} ms; last lines:\n${lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`));
        }, timeoutMs);
        const waiter = (line: LogLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        };
        waiters.add(waiter);
      });
    },
  };
}
