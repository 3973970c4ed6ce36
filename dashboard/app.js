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

  function orderLink(orderId) {
    if (!config.temporalUiUrl) return document.createTextNode(orderId);
    var a = document.createElement('a');
    a.href = config.temporalUiUrl + '/namespaces/' + encodeURIComponent(config.namespace) + '/workflows/' + encodeURIComponent('order-' + orderId);
    a.textContent = orderId;
    a.title = 'Open the order workflow in the Temporal Web UI';
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
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

  var today = new Date();
  var monthAgo = new Date(today.getTime() - 29 * 24 * 3600 * 1000);
  $('from').value = day(monthAgo);
  $('to').value = day(today);
  $('range').addEventListener('submit', function (event) {
    event.preventDefault();
    refresh();
  });
  $('search').addEventListener('submit', function (event) {
    event.preventDefault();
    if ($('query').value.trim()) search($('query').value.trim());
  });
  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    key = $('key').value.trim();
    sessionStorage.setItem('ordersApiKey', key);
    refresh();
  });
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
    .then(refresh);
})();
