import { CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE } from '../../workflows/messages';

/** The search attributes that make each order findable in the Temporal Web UI and `temporal workflow list`. */
export const ORDER_SEARCH_ATTRIBUTES = [ORDER_STATUS_ATTRIBUTE, CUSTOMER_ID_ATTRIBUTE, ORDER_TOTAL_ATTRIBUTE] as const;
