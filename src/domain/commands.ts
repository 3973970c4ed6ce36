/**
 * The order's commands, declared once as schemas. Every way in applies them: the HTTP API and the
 * CLI build their request schemas from these fields, and `decide` checks each command it is given,
 * so the workflow's Update validators and signal handlers refuse a bad command from any Temporal
 * client with the same code and message as the API. zod runs inside the workflow sandbox too.
 */
import * as z from 'zod';
import { centsFromNumber, MAX_AMOUNT_CENTS } from './money';
import { ORDER_STATUSES } from './status';

/** The documented bounds of the API (README, "Limits"). Lengths count Unicode code points. */
export const LIMITS = {
  idMaxLength: 128,
  nameMaxLength: 200,
  reasonMaxLength: 500,
  maxItems: 500,
  maxQuantity: 1_000_000,
  maxPriceCents: 100_000_000,
  maxPageSize: 200,
  defaultPageSize: 50,
  maxBodyBytes: 1024 * 1024,
} as const;

/**
 * Ids are short and printable: letters, digits and `. _ : @ -`, starting with a letter or digit.
 * Each `.regex` check gets its own copy (`new RegExp`): zod sets a pattern's lastIndex as it
 * tests, and the workflow sandbox freezes every object an exported schema reaches (order.ts).
 * The text patterns below are used in refinements and transforms, closures the freeze does not
 * reach; `TEXT_PATTERN`, exported, has no global flag, so testing with it writes nothing.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
/** Request and correlation ids, as they travel in headers and logs. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

// C0 and C1 control characters and DEL; and the spaces that trimming removes. Spelled out rather
// than as \s or \p{…}, so that the pattern in the OpenAPI document means the same in any language.
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f';
const SPACES = '\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const CONTROL = new RegExp(`[${CONTROLS}]`);
const EDGE_SPACES = new RegExp(`^[${SPACES}]+|[${SPACES}]+$`, 'g');
/** Text with something to read in it and no control character. */
export const TEXT_PATTERN = new RegExp(`^[^${CONTROLS}]*[^${CONTROLS}${SPACES}][^${CONTROLS}]*$`);

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Names, reasons, keys: well-formed Unicode (a lone surrogate cannot be stored), no control
 * characters, not blank, at most `maxLength` code points; surrounding spaces are trimmed.
 */
export function text(maxLength: number, description: string) {
  return z
    .string()
    .refine((value) => value.isWellFormed(), { error: 'must be well-formed Unicode (no lone surrogates)', abort: true })
    .refine((value) => !CONTROL.test(value), { error: 'must not contain control characters', abort: true })
    .refine((value) => TEXT_PATTERN.test(value), { error: 'must not be empty', abort: true })
    .refine((value) => codePoints(value) <= maxLength, { error: `must be at most ${maxLength} characters`, abort: true })
    .transform((value) => value.replace(EDGE_SPACES, ''))
    .meta({ description, maxLength, pattern: TEXT_PATTERN.source });
}

export function id(description: string) {
  return z
    .string()
    .min(1, { error: 'is required', abort: true })
    .max(LIMITS.idMaxLength, { error: `must be at most ${LIMITS.idMaxLength} characters`, abort: true })
    .regex(new RegExp(ID_PATTERN), 'may contain only letters, digits and . _ : @ -, and must start with a letter or digit')
    .meta({ description });
}

/**
 * Command ids the service gives the commands it sends itself (the payment window's expiry) start
 * with this. A client's id may not: the same id answers with the first outcome, so a client's
 * command under the system's id would be taken for the system's, or the system's for the client's.
 */
export const SYSTEM_COMMAND_ID_PREFIX = 'system:';

/** What a line's total needs of it. */
type PricedLine = { quantity: number; unitPriceCents: number };

export function lineTotalCents(line: PricedLine): number {
  return line.quantity * line.unitPriceCents;
}

/** An order's lines, however each is spelled: at least one, a bounded number, a total the event log can hold. */
export function orderLines<Line extends z.ZodType<PricedLine, unknown>>(line: Line) {
  return (
    z
      .array(line)
      .min(1, 'must contain at least one item')
      .max(LIMITS.maxItems, `must contain at most ${LIMITS.maxItems} items`)
      // A line refused for its own fields leaves the total unknown (NaN), and says so itself.
      .refine((lines) => !(lines.reduce((sum, each) => sum + lineTotalCents(each), 0) > MAX_AMOUNT_CENTS), {
        error: `the order total must be at most ${MAX_AMOUNT_CENTS / 100}`,
      })
  );
}

/**
 * Builds the command schemas. `COMMAND_SCHEMAS` below is one set, for everything but parsing in
 * the domain; `order.ts` builds another for `decide` to parse with, and says why.
 */
export function commandSchemas() {
  const ORDER_STATUS = z.enum(ORDER_STATUSES);

  const QUANTITY = z
    .number()
    .int({ error: 'must be a positive integer', abort: true })
    .min(1, { error: 'must be a positive integer', abort: true })
    .max(LIMITS.maxQuantity, `must be at most ${LIMITS.maxQuantity}`)
    .meta({ description: 'Units, a positive integer' });

  /** A unit price as a decimal amount (as JSON shows money), read into integer cents. */
  const PRICE = z
    .number()
    .min(0, { error: 'must not be negative', abort: true })
    .refine((amount) => centsFromNumber(amount) !== undefined, { error: 'must have at most 2 decimals', abort: true })
    .refine((amount) => centsFromNumber(amount)! <= LIMITS.maxPriceCents, `must be at most ${LIMITS.maxPriceCents / 100}`)
    .transform((amount) => centsFromNumber(amount)!)
    .meta({ description: 'Unit price, at most 2 decimals', maximum: LIMITS.maxPriceCents / 100, multipleOf: 0.01 });

  const UNIT_PRICE_CENTS = z
    .number()
    .int({ error: 'must be a whole number of cents', abort: true })
    .min(0, { error: 'must not be negative', abort: true })
    .max(LIMITS.maxPriceCents, `must be at most ${LIMITS.maxPriceCents}`);

  const PRODUCT_ID = id('The product');
  const PRODUCT_NAME = text(LIMITS.nameMaxLength, 'A name to show; the product id otherwise');
  const CUSTOMER_NAME = text(LIMITS.nameMaxLength, 'The name to show for the customer');
  const REASON = text(LIMITS.reasonMaxLength, 'Why');
  const COMMAND_ID = text(LIMITS.idMaxLength, 'The command id: the same id answers with the first outcome and records nothing new');

  /** A command id a client may choose: any but the system's. */
  const CLIENT_COMMAND_ID = COMMAND_ID.refine((commandId) => !commandId.startsWith(SYSTEM_COMMAND_ID_PREFIX), {
    error: `must not start with ${SYSTEM_COMMAND_ID_PREFIX} (the service's own commands use it)`,
  }).meta({
    description: `The command id: the same id answers with the first outcome and records nothing new; ids starting with ${SYSTEM_COMMAND_ID_PREFIX} are the service's own`,
    not: { pattern: `^[${SPACES}]*${SYSTEM_COMMAND_ID_PREFIX}` },
  });

  /** A line item as the write model keeps it: the price in integer cents. */
  const ORDER_LINE = z.strictObject({
    productId: PRODUCT_ID,
    productName: PRODUCT_NAME.optional(),
    quantity: QUANTITY,
    unitPriceCents: UNIT_PRICE_CENTS,
  });
  const CORRELATION_ID = z.string().regex(new RegExp(CORRELATION_ID_PATTERN), 'must be 1 to 128 letters, digits or . _ : -');

  /** Who sent a client's command and how to recognise it again. */
  const COMMAND_META = { commandId: CLIENT_COMMAND_ID, correlationId: CORRELATION_ID };

  const CREATE_ORDER = z.strictObject({
    type: z.literal('CreateOrder'),
    ...COMMAND_META,
    orderId: id('The order'),
    customerId: id('The customer'),
    customerName: CUSTOMER_NAME,
    /** False when the name was filled in by the service rather than given by the client. */
    customerNameGiven: z.boolean(),
    items: orderLines(ORDER_LINE),
  });

  const CHANGE_ORDER_STATUS = z.strictObject({
    type: z.literal('ChangeOrderStatus'),
    ...COMMAND_META,
    orderId: id('The order'),
    status: ORDER_STATUS,
    /** Used only when the new status is CANCELLED. */
    reason: REASON.optional(),
  });

  const CANCEL_ORDER = z.strictObject({
    type: z.literal('CancelOrder'),
    ...COMMAND_META,
    orderId: id('The order'),
    reason: REASON,
  });

  /**
   * The payment window closed on a PENDING order: the order's own workflow sends this when the
   * deadline passes (PENDING_ORDER_TIMEOUT), never a client. Build it with `expirePaymentWindow`.
   */
  const EXPIRE_PAYMENT_WINDOW = z.strictObject({
    type: z.literal('ExpirePaymentWindow'),
    commandId: COMMAND_ID,
    correlationId: CORRELATION_ID,
    orderId: id('The order'),
    /** When the window closed (ISO 8601, UTC). */
    deadline: z.iso.datetime(),
  });

  /** The commands a client may send an order, through the API or straight to its workflow. */
  const CLIENT_COMMAND = z.discriminatedUnion('type', [CREATE_ORDER, CHANGE_ORDER_STATUS, CANCEL_ORDER]);
  /** Every command `decide` judges: a client's, or one the order's workflow sends itself. */
  const ORDER_COMMAND = z.discriminatedUnion('type', [...CLIENT_COMMAND.options, EXPIRE_PAYMENT_WINDOW]);

  return {
    ORDER_STATUS,
    QUANTITY,
    PRICE,
    PRODUCT_ID,
    PRODUCT_NAME,
    CUSTOMER_NAME,
    REASON,
    COMMAND_ID,
    CLIENT_COMMAND_ID,
    ORDER_LINE,
    CREATE_ORDER,
    CHANGE_ORDER_STATUS,
    CANCEL_ORDER,
    EXPIRE_PAYMENT_WINDOW,
    CLIENT_COMMAND,
    ORDER_COMMAND,
  };
}

/** The set the API, the CLI, the OpenAPI document and the domain's answer shapes build on. */
export const COMMAND_SCHEMAS = commandSchemas();

export type OrderLine = z.output<typeof COMMAND_SCHEMAS.ORDER_LINE>;
export type CommandMeta = { commandId: string; correlationId: string };
export type CreateOrder = z.output<typeof COMMAND_SCHEMAS.CREATE_ORDER>;
export type ChangeOrderStatus = z.output<typeof COMMAND_SCHEMAS.CHANGE_ORDER_STATUS>;
export type CancelOrder = z.output<typeof COMMAND_SCHEMAS.CANCEL_ORDER>;
export type ExpirePaymentWindow = z.output<typeof COMMAND_SCHEMAS.EXPIRE_PAYMENT_WINDOW>;
export type ClientCommand = z.output<typeof COMMAND_SCHEMAS.CLIENT_COMMAND>;
export type OrderCommand = z.output<typeof COMMAND_SCHEMAS.ORDER_COMMAND>;

/** The command id of a payment window's expiry: it names the system as the author of the cancellation. */
export const PAYMENT_WINDOW_COMMAND_ID = `${SYSTEM_COMMAND_ID_PREFIX}payment-window-expired`;

export function expirePaymentWindow(orderId: string, deadline: Date): ExpirePaymentWindow {
  return {
    type: 'ExpirePaymentWindow',
    commandId: PAYMENT_WINDOW_COMMAND_ID,
    correlationId: PAYMENT_WINDOW_COMMAND_ID,
    orderId,
    deadline: deadline.toISOString(),
  };
}
