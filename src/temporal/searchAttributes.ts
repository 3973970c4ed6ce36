import { CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE } from '../../workflows/messages';

/** The search attributes that make each order findable in the Temporal Web UI and `temporal workflow list`. */
export const ORDER_SEARCH_ATTRIBUTES = [ORDER_STATUS_ATTRIBUTE, CUSTOMER_ID_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE] as const;

export type OrderSearchAttribute = (typeof ORDER_SEARCH_ATTRIBUTES)[number];

/** The attribute's type as the `temporal` CLI spells it: Keyword, Double. */
export function cliTypeName(attribute: OrderSearchAttribute): string {
  return attribute.type.charAt(0) + attribute.type.slice(1).toLowerCase();
}
