import pino, { Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; readable ones when a person is watching a terminal. */
export function createLogger(level: string, options: { pretty: boolean; name?: string }): Logger {
  const { pretty, name = 'orders' } = options;
  return pino({
    name,
    level,
    redact: { paths: ['password', '*.password', 'authorization', '*.authorization'], censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } : undefined,
  });
}

/** A logger that drops everything, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
