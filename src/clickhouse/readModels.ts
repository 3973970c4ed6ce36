/** The API's read-model port (src/api/ports.ts) on ClickHouse: each query of this folder, bound to one client. */
import type { ReadModels } from '../api/ports';
import type { ClickHouse } from './client';
import { recentOrders, revenueSeries, topProducts } from './analytics';
import { prepareAnalystSql, runAnalystSql } from './analystSql';
import { orderEvents } from './history';
import { lastCustomerName, listOrders, orderById, orderStatistics, otherReadModelsAt } from './orderQueries';

export function clickHouseReadModels(ch: ClickHouse): ReadModels {
  return {
    orderById: (orderId) => orderById(ch, orderId),
    reachedEverywhere: (view, version) => otherReadModelsAt(ch, view, version),
    listOrders: (filter) => listOrders(ch, filter),
    orderEvents: (orderId, range) => orderEvents(ch, orderId, range),
    orderStatistics: (from, to, asOf) => orderStatistics(ch, from, to, asOf),
    lastCustomerName: (customerId) => lastCustomerName(ch, customerId),
    revenueSeries: (from, to, granularity, asOf) => revenueSeries(ch, from, to, granularity, asOf),
    topProducts: (from, to, limit) => topProducts(ch, from, to, limit),
    recentOrders: (limit) => recentOrders(ch, limit),
    runAnalystSql: async (sql, params, cancel) => runAnalystSql(ch, await prepareAnalystSql(ch, sql, params), cancel),
  };
}
