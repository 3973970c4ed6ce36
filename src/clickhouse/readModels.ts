/** The API's read-model port (src/api/ports.ts) on ClickHouse: each query of this folder, bound to one client. */
import type { ReadModels } from '../api/ports';
import type { ClickHouse } from './client';
import { recentOrders, revenueSeries, topProducts } from './analytics';
import { prepareAnalystSql, runAnalystSql } from './analystSql';
import { lastCustomerName, listOrders, orderById, orderStatistics, otherReadModelsAt } from './orderQueries';

export function clickHouseReadModels(ch: ClickHouse): ReadModels {
  return {
    orderById: (orderId) => orderById(ch, orderId),
    reachedEverywhere: (view, version) => otherReadModelsAt(ch, view, version),
    listOrders: (filter) => listOrders(ch, filter),
    orderStatistics: (from, to) => orderStatistics(ch, from, to),
    lastCustomerName: (customerId) => lastCustomerName(ch, customerId),
    revenueSeries: (from, to, granularity) => revenueSeries(ch, from, to, granularity),
    topProducts: (from, to, limit) => topProducts(ch, from, to, limit),
    recentOrders: (limit) => recentOrders(ch, limit),
    runAnalystSql: async (sql, params, cancel) => runAnalystSql(ch, await prepareAnalystSql(ch, sql, params), cancel),
  };
}
