// Reloads the owner's tracking page when the order changes: polls the JSON view named
// by #live-poll every 15 s and reloads when its text differs from the last one.
(function () {
  var el = document.getElementById('live-poll');
  if (!el) return;
  var url = el.getAttribute('data-url');
  var last = null;
  setInterval(function () {
    fetch(url).then(function (r) { return r.ok ? r.text() : null; }).then(function (x) {
      if (x === null) return;
      if (last !== null && x !== last) location.reload();
      last = x;
    });
  }, 15000);
})();
