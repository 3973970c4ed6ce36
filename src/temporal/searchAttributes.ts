import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE } from '../../workflows/messages';

/** The search attributes that make each order findable in the Temporal Web UI and `temporal workflow list`. */
export const ORDER_SEARCH_ATTRIBUTES = [ORDER_STATUS_ATTRIBUTE, CUSTOMER_ID_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE] as const;

/** Registers the order search attributes on a server we did not start, if they are missing. */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = ORDER_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
    });
  } finally {
    await connection.close();
  }
}
