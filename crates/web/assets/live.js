// Tells the owner when their order changes without reloading the page: polls the JSON
// view named by #live-poll every 15 s and, when what the owner sees changed (state,
// stages, checks, decisions — not the ETA, which moves with the clock), shows
// #live-changed, a notice with a refresh link. A reload would wipe a comment being
// typed, so the owner decides when to refresh.
(function () {
  var el = document.getElementById('live-poll');
  var banner = document.getElementById('live-changed');
  if (!el || !banner) return;
  var url = el.getAttribute('data-url');
  function print(t) {
    var stages = (t.stages || []).map(function (s) {
      var done = (s.checkpoints || []).filter(function (c) { return c.checked; }).length;
      return s.stage + ':' + s.status + ':' + done;
    });
    var lines = (t.lines || []).map(function (l) { return l.line_no + ':' + l.decision + ':' + l.work; });
    return [t.state, t.current_stage, t.awaiting, stages.join(','), lines.join(',')].join('|');
  }
  var first = null;
  var timer = null;
  function poll() {
    fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (t) {
      if (t === null) return;
      var p = print(t);
      // The first answer is what the page shows; data-polled tells a watcher so.
      if (first === null) { first = p; el.setAttribute('data-polled', '1'); return; }
      if (p !== first) { banner.hidden = false; clearInterval(timer); }
    }).catch(function () {});
  }
  poll();
  timer = setInterval(poll, 15000);
})();
