// The owner's booking page (progressive enhancement): "sort by my position" asks the
// browser for the position, which the owner may refuse, and reloads the station list
// sorted by distance from it; selects marked data-submit reload the page on change.
// Without this script the list is sorted from the owner's registered station.
(function () {
  'use strict';
  function init() {
    var b = document.getElementById('near-me');
    if (b && navigator.geolocation) {
      b.hidden = false;
      b.addEventListener('click', function () {
        navigator.geolocation.getCurrentPosition(function (p) {
          document.getElementById('lat').value = p.coords.latitude.toFixed(5);
          document.getElementById('lon').value = p.coords.longitude.toFixed(5);
          document.getElementById('station-search').submit();
        }, function () { b.disabled = true; }, { timeout: 8000, maximumAge: 600000 });
      });
    }
    var subs = document.querySelectorAll('select[data-submit]');
    for (var i = 0; i < subs.length; i++) {
      subs[i].addEventListener('change', function (e) { if (e.target.form) e.target.form.submit(); });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
