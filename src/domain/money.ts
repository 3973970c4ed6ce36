/**
 * Money is held as integer cents everywhere inside the service, so sums are exact
 * (2 × 29.99 + 49.99 is 109.97, never 109.97000000000001). It crosses the edges as a JSON number
 * with at most two decimals, or as a ClickHouse Decimal(18, 2) written from a string. Sums over
 * many orders outgrow a double: ClickHouse adds them as Decimal(38, 2) and they stay the decimal
 * text it printed (an ExactAmount) until they are written into the JSON answer.
 */
import { LosslessNumber } from 'lossless-json';

/** The largest amount a Decimal(18, 2) column holds, in cents, and well inside 2^53. */
export const MAX_AMOUNT_CENTS = 999_999_999_999_999;

/** Cents of a JSON number, or undefined when it is not a non-negative amount with at most 2 decimals. */
export function centsFromNumber(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const cents = Math.round(value * 100);
  if (!Number.isSafeInteger(cents) || cents / 100 !== value) return undefined;
  return cents;
}

/** Cents of a decimal string as ClickHouse prints it ("109.97", "-3.5", "12"). */
export function centsFromDecimalString(text: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal amount: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** The JSON number for an amount in cents: 10997 → 109.97. */
export function toAmount(cents: number): number {
  return cents / 100;
}

/** The exact decimal text of an amount in cents, for Decimal columns: 10997 → "109.97". */
export function toDecimalString(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** An amount of any size as the exact decimal text ClickHouse printed for it; written into JSON as that number. */
export type ExactAmount = LosslessNumber;

const DECIMAL_AMOUNT = /^-?\d+(\.\d{1,2})?$/;

/** An exact amount from ClickHouse's text of a Decimal with two places ("109.97", "110", "-3.5"). */
export function exactAmount(text: string): ExactAmount {
  if (!DECIMAL_AMOUNT.test(text)) throw new Error(`not a decimal amount: ${text}`);
  return new LosslessNumber(text);
}

/** The mean of `count` amounts summing to `total`, rounded half away from zero to the cent, exactly. */
export function averageAmount(total: ExactAmount, count: number): ExactAmount {
  if (count === 0) return exactAmount('0');
  const [whole, fraction = ''] = total.toString().replace('-', '').split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  const n = BigInt(count);
  const mean = (2n * cents + n) / (2n * n);
  const sign = total.toString().startsWith('-') && mean > 0n ? '-' : '';
  return exactAmount(`${sign}${mean / 100n}.${String(mean % 100n).padStart(2, '0')}`);
}
