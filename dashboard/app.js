// The dashboard: reads the public query API with the key the user gives (kept for this tab only).
(function () {
  'use strict';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var key = sessionStorage.getItem('ordersApiKey') || '';
  var config = { temporalUiUrl: null, namespace: 'default' };
  var chart = null;

  // A key may come in the URL fragment (never sent to the server): /#key=…
  if (location.hash.indexOf('#key=') === 0) {
    key = decodeURIComponent(location.hash.slice(5));
    sessionStorage.setItem('ordersApiKey', key);
    history.replaceState(null, '', location.pathname);
  }

  function money(amount) {
    return Number(amount).toFixed(2);
  }
  function day(date) {
    return date.toISOString().slice(0, 10);
  }
  function cell(row, text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  function api(path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + key } }).then(function (response) {
      return response.json().then(function (body) {
        if (response.status === 401 || response.status === 403) {
          askForKey();
          throw new Error(body.detail || 'this key may not read');
        }
        if (!response.ok) throw new Error(response.status + ' ' + body.code + ': ' + body.detail);
        return body;
      });
    });
  }

  function askForKey() {
    $('key-form').hidden = false;
    $('content').hidden = true;
  }

  function link(href, text, className) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    a.className = className;
    return a;
  }

  // The order's own page here: /#order=<orderId>.
  function orderLink(orderId) {
    return link('#order=' + encodeURIComponent(orderId), orderId, 'order-link');
  }

  function workflowLink(orderId, text) {
    if (!config.temporalUiUrl) return document.createTextNode('–');
    var a = link(
      config.temporalUiUrl + '/namespaces/' + encodeURIComponent(config.namespace) + '/workflows/' + encodeURIComponent('order-' + orderId),
      text,
      'workflow-link',
    );
    a.title = 'Open the order workflow in the Temporal Web UI';
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
  }

  // The columns of every table of orders, as fillOrders fills them.
  var ORDER_COLUMNS = [['Order'], ['Customer'], ['Status'], ['Total', 'amount'], ['Created'], ['Workflow']];

  function addOrderHeads() {
    document.querySelectorAll('table.orders').forEach(function (table) {
      var row = table.createTHead().insertRow();
      ORDER_COLUMNS.forEach(function (column) {
        var th = document.createElement('th');
        th.textContent = column[0];
        if (column[1]) th.className = column[1];
        row.appendChild(th);
      });
    });
  }

  function fillOrders(tbody, orders) {
    tbody.replaceChildren();
    if (orders.length === 0) {
      var empty = tbody.insertRow();
      cell(empty, 'No orders');
      return;
    }
    orders.forEach(function (order) {
      var row = tbody.insertRow();
      row.dataset.orderId = order.orderId;
      cell(row, orderLink(order.orderId));
      cell(row, order.customerName + ' (' + order.customerId + ')');
      cell(row, order.status);
      cell(row, money(order.total), 'amount');
      cell(row, new Date(order.createdAt).toLocaleString());
      cell(row, workflowLink(order.orderId, 'open ↗'));
    });
  }

  function drawChart(series) {
    var labels = series.buckets.map(function (bucket) {
      return bucket.start.slice(0, 10);
    });
    var data = {
      labels: labels,
      datasets: [
        {
          label: 'Total revenue',
          data: series.buckets.map(function (b) {
            return b.totalRevenue;
          }),
          backgroundColor: '#9db4d6',
        },
        {
          label: 'Net revenue',
          data: series.buckets.map(function (b) {
            return b.netRevenue;
          }),
          backgroundColor: '#2f5da8',
        },
      ],
    };
    if (chart) {
      chart.data = data;
      chart.update();
      return;
    }
    chart = new Chart($('revenue-chart'), {
      type: 'bar',
      data: data,
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
  }

  function refresh() {
    if (!key) {
      askForKey();
      return Promise.resolve();
    }
    $('key-form').hidden = true;
    $('order-page').hidden = true;
    var from = new Date($('from').value + 'T00:00:00Z');
    var to = new Date($('to').value + 'T00:00:00Z');
    to.setUTCDate(to.getUTCDate() + 1); // the chosen end day included
    var range = 'from=' + from.toISOString() + '&to=' + to.toISOString();
    return Promise.all([api('/stats/orders?' + range), api('/analytics/revenue?granularity=day&' + range), api('/analytics/recent-orders?limit=10')])
      .then(function (answers) {
        var stats = answers[0];
        $('total-orders').textContent = stats.totalOrders;
        $('total-revenue').textContent = money(stats.totalRevenue);
        $('net-revenue').textContent = money(stats.netRevenue);
        $('average-order-value').textContent = money(stats.averageOrderValue);
        var tbody = $('by-status').tBodies[0];
        tbody.replaceChildren();
        Object.keys(stats.ordersByStatus).forEach(function (status) {
          var row = tbody.insertRow();
          row.dataset.status = status;
          cell(row, status);
          cell(row, String(stats.ordersByStatus[status]), 'amount');
        });
        $('content').hidden = false;
        drawChart(answers[1]);
        fillOrders($('recent').tBodies[0], answers[2].orders);
        showError('');
        document.body.dataset.ready = 'true';
      })
      .catch(function (error) {
        showError(error.message);
      });
  }

  function search(query) {
    var results = $('search-results');
    var encoded = encodeURIComponent(query);
    return fetch('/orders/' + encoded, { headers: { authorization: 'Bearer ' + key } })
      .then(function (response) {
        if (response.ok)
          return response.json().then(function (order) {
            return [order];
          });
        return api('/customers/' + encoded + '/orders?limit=50').then(function (page) {
          return page.orders;
        });
      })
      .then(function (orders) {
        fillOrders(results.querySelector('tbody'), orders);
        results.hidden = false;
        showError('');
      })
      .catch(function (error) {
        showError(error.message);
      });
  }

  // What an event changed, in a few words.
  function change(event) {
    var data = event.data;
    if (event.type === 'OrderCreated') {
      var lines = data.items.length + (data.items.length === 1 ? ' line' : ' lines');
      return 'created: ' + lines + ', ' + money(data.total) + ', for ' + data.customerName + ' (' + data.customerId + ')';
    }
    if (event.type === 'OrderStatusChanged') return data.oldStatus + ' → ' + data.newStatus;
    if (event.type === 'OrderCancelled') return data.previousStatus + ' → CANCELLED: ' + data.reason;
    return event.type;
  }

  // Every event of an order, page after page.
  function allEvents(orderId, cursor, gathered) {
    var path = '/orders/' + encodeURIComponent(orderId) + '/events?limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    return api(path).then(function (page) {
      var events = (gathered || []).concat(page.events);
      return page.nextCursor ? allEvents(orderId, page.nextCursor, events) : events;
    });
  }

  // What an order's page shows of its state: a label, the field's id, and its text.
  function stateOf(order) {
    return [
      ['Status', 'status', order.status],
      ['Total', 'total', money(order.total)],
      ['Customer', 'customer', order.customerName + ' (' + order.customerId + ')'],
      ['Created', 'created', new Date(order.createdAt).toLocaleString()],
      ['Updated', 'updated', new Date(order.updatedAt).toLocaleString()],
      ['Version', 'version', String(order.version)],
    ];
  }

  function fillOrderPage(order, events) {
    $('order-id').textContent = order.orderId;
    $('order-state').replaceChildren();
    stateOf(order).forEach(function (field) {
      var entry = document.createElement('div');
      var label = document.createElement('dt');
      var value = document.createElement('dd');
      label.textContent = field[0];
      value.id = 'order-' + field[1];
      value.textContent = field[2];
      entry.append(label, value);
      $('order-state').appendChild(entry);
    });
    var created = events.filter(function (event) {
      return event.type === 'OrderCreated';
    })[0];
    $('order-items').replaceChildren();
    (created ? created.data.items : []).forEach(function (item) {
      var li = document.createElement('li');
      li.textContent = item.quantity + ' × ' + (item.productName || item.productId) + ' at ' + money(item.price);
      $('order-items').appendChild(li);
    });
    $('order-workflow').replaceChildren(workflowLink(order.orderId, 'Open the workflow in the Temporal Web UI ↗'));
    var tbody = $('timeline').tBodies[0];
    tbody.replaceChildren();
    events.forEach(function (event) {
      var row = tbody.insertRow();
      row.dataset.version = event.version;
      cell(row, new Date(event.occurredAt).toLocaleString()).title = event.occurredAt;
      cell(row, event.type);
      cell(row, change(event));
      cell(row, event.commandId);
    });
  }

  // An order's page: its current state, its events and a link to its workflow.
  function showOrder(orderId) {
    if (!key) {
      askForKey();
      return Promise.resolve();
    }
    $('key-form').hidden = true;
    $('content').hidden = true;
    $('order-page').hidden = false;
    $('order-page').dataset.ready = 'false';
    return Promise.all([api('/orders/' + encodeURIComponent(orderId)), allEvents(orderId)])
      .then(function (answers) {
        fillOrderPage(answers[0], answers[1]);
        showError('');
        $('order-page').dataset.ready = 'true';
      })
      .catch(function (error) {
        showError(error.message);
      });
  }

  // The page the address asks for: an order's (#order=<orderId>), or the dashboard.
  function show() {
    var asked = /^#order=(.+)$/.exec(location.hash);
    return asked ? showOrder(decodeURIComponent(asked[1])) : refresh();
  }

  addOrderHeads();
  var today = new Date();
  var monthAgo = new Date(today.getTime() - 29 * 24 * 3600 * 1000);
  $('from').value = day(monthAgo);
  $('to').value = day(today);
  // Back from an order's page to the dashboard, as a new entry of the tab's history.
  function toDashboard() {
    if (location.hash) history.pushState(null, '', location.pathname + location.search);
    return refresh();
  }

  $('range').addEventListener('submit', function (event) {
    event.preventDefault();
    toDashboard();
  });
  $('search').addEventListener('submit', function (event) {
    event.preventDefault();
    if (!$('order-page').hidden) toDashboard();
    if ($('query').value.trim()) search($('query').value.trim());
  });
  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem('ordersApiKey', key);
    show();
  });
  window.addEventListener('hashchange', show);
  fetch('/dashboard/config.json')
    .then(function (response) {
      return response.json();
    })
    .then(function (loaded) {
      config = loaded;
    })
    .catch(function () {
      /* no links to the Web UI then */
    })
    .then(show);
})();
