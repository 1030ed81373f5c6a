// Live countdowns of the complaint queue: every cell with data-deadline (UTC ms)
// shows the time left or overdue, refreshed every 20 s, in the page's words (the
// table carries the phrases: data-left="{span} left", data-overdue, data-d/h/m).
// Time is the server's: the table's data-now is the server's clock when the page was
// made, so a test clock or a wrong PC clock shows the same as the server. Without
// JavaScript the server's text stays as it was rendered.
(function () {
  'use strict';
  var table = document.querySelector('[data-countdown]');
  if (!table) return;
  var offset = Number(table.getAttribute('data-now')) - Date.now();
  var word = function (k) { return table.getAttribute('data-' + k) || ''; };
  var joiner = word('join');
  function span(ms) {
    var mins = Math.floor(ms / 60000);
    var d = Math.floor(mins / 1440), h = Math.floor((mins % 1440) / 60), m = mins % 60;
    var out = [];
    if (d > 0) out.push(word('d').replace('{n}', d));
    if (h > 0) out.push(word('h').replace('{n}', h));
    if (m > 0 || out.length === 0) out.push(word('m').replace('{n}', m));
    return out.join(joiner);
  }
  function tick() {
    var now = Date.now() + offset;
    table.querySelectorAll('[data-deadline]').forEach(function (cell) {
      var diff = Number(cell.getAttribute('data-deadline')) - now;
      var text = diff < 0 ? word('overdue').replace('{span}', span(-diff)) : word('left').replace('{span}', span(diff));
      var tone = diff < 0 ? 'late' : (diff <= 3600000 ? 'warn' : '');
      var out = cell.querySelector('.complaint-left') || cell;
      out.textContent = text;
      if (out !== cell) out.className = 'complaint-left ' + tone;
      var row = cell.closest('tr');
      if (row) row.classList.toggle('overrun', tone === 'late');
    });
  }
  tick();
  setInterval(tick, 20000);
})();
