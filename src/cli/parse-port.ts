import { InvalidArgumentError } from 'commander';

/** Commander argument parser: a TCP port 0–65535 (0 picks a free one), else a usage error. */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  }
  return Number(value);
}
