/**
 * JSON answers whose numbers may be exact decimals beyond what a double holds (sums of money as
 * ClickHouse's Decimal printed them, analysts' values): `LosslessNumber`s are written as the
 * number they hold, digit for digit. Node 20 has no JSON.rawJSON, so the body is serialized here.
 */
import type { Context } from 'koa';
import { stringify } from 'lossless-json';

export function sendExactJson(ctx: Context, body: unknown): void {
  ctx.type = 'application/json';
  ctx.body = stringify(body);
}
