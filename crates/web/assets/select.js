// Searchable select (progressive enhancement): every <select data-search="hint"> gets a
// filter box before it; typing hides the options that do not contain the text (name
// or code, case-insensitive) and selects the first match. Without this script the
// plain <select> still works. <select data-submit> submits its form on change.
// In a form with a lookup (a search box and its find button before the save button),
// Enter in the search box finds, and Enter in any other field saves, as a person
// expects; without this the browser would use the first submit button, the finder.
(function () {
  'use strict';
  function enhance(sel) {
    if (sel.dataset.enhanced) return;
    sel.dataset.enhanced = '1';
    var box = document.createElement('input');
    box.type = 'search';
    box.className = 'select-filter';
    box.placeholder = sel.dataset.search || '';
    box.setAttribute('aria-label', sel.dataset.search || '');
    box.setAttribute('aria-controls', sel.id);
    sel.parentNode.insertBefore(box, sel);
    box.addEventListener('input', function () {
      var q = box.value.trim().toLowerCase();
      var first = null;
      for (var i = 0; i < sel.options.length; i++) {
        var o = sel.options[i];
        var hit = !q || o.text.toLowerCase().indexOf(q) >= 0;
        o.hidden = !hit;
        if (hit && !first && o.value) first = o;
      }
      if (first && q) sel.value = first.value;
    });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && sel.dataset.submit !== undefined && sel.form) {
        e.preventDefault();
        sel.form.submit();
      }
    });
  }
  function init() {
    var all = document.querySelectorAll('select[data-search]');
    for (var i = 0; i < all.length; i++) enhance(all[i]);
    var subs = document.querySelectorAll('select[data-submit]');
    for (var j = 0; j < subs.length; j++) {
      subs[j].addEventListener('change', function (e) { if (e.target.form) e.target.form.submit(); });
    }
    // The collapsible sidebar on tablets: the toggle button shows or hides it.
    var t = document.getElementById('nav-toggle');
    if (t) t.addEventListener('click', function () {
      var open = document.body.classList.toggle('nav-open');
      t.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (e.key !== 'Enter' || !t || t.tagName !== 'INPUT' || !t.form) return;
    var find = t.form.querySelector('button[name=find]');
    if (!find) return;
    var save = t.form.querySelector('button[type=submit]:not([name=find])');
    e.preventDefault();
    var lookup = find.parentNode && find.parentNode.contains(t);
    var submitter = lookup ? find : save;
    if (submitter) t.form.requestSubmit(submitter);
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
