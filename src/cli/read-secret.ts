import { readFileSync } from 'node:fs';
import { StrongboxError } from '../errors/strongbox-error.ts';
import { MAX_SECRET_BYTES } from './read-stdin.ts';

/** A secret from the file an environment variable names (one trailing newline stripped), or null when unset. */
export function readSecretFile(variable: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const file = env[variable];
  if (file === undefined || file === '') return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StrongboxError('ERR_CONFIG', `the file named by ${variable} cannot be read`);
  }
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES) throw new StrongboxError('ERR_CONFIG', `the file named by ${variable} is larger than ${MAX_SECRET_BYTES} bytes`);
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new StrongboxError('ERR_CONFIG', `the file named by ${variable} is empty`);
  return secret;
}

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Asks for a secret on the terminal without echoing it; refuses when stdin is no terminal. */
export function promptSecret(question: string, stdin: TtyIn, write: (s: string) => void, why: string): Promise<string> {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    return Promise.reject(new StrongboxError('ERR_USAGE', why));
  }
  const setRaw = stdin.setRawMode.bind(stdin);
  write(question);
  setRaw(true);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: StrongboxError | null): void => {
      stdin.off('data', onData);
      setRaw(false);
      stdin.pause();
      write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return done(text === '' ? new StrongboxError('ERR_USAGE', 'no password given') : null);
        if (ch === '\u0003') return done(new StrongboxError('ERR_USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
        if (text.length > MAX_SECRET_BYTES) return done(new StrongboxError('ERR_USAGE', 'the password is too long'));
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
