// Confirm dialog for irreversible steps (cancel, no-show, decline, deliver).
// A form with data-confirm="question" asks in a <dialog> before it is sent; on "OK"
// it is sent with confirmed=1. Without JavaScript the form is sent as it is and the
// server answers with a confirmation page that asks the same question, so the step
// is never taken by one careless click either way. Also: copy buttons
// (data-copy="#input-id") copy the value of the named input.
(function () {
  'use strict';
  function ask(form, submitter) {
    var dialog = document.createElement('dialog');
    dialog.className = 'confirm';
    dialog.setAttribute('aria-labelledby', 'confirm-text');
    var p = document.createElement('p');
    p.id = 'confirm-text';
    p.textContent = form.getAttribute('data-confirm');
    var actions = document.createElement('div');
    actions.className = 'actions';
    var no = document.createElement('button');
    no.type = 'button';
    no.className = 'btn btn-secondary';
    no.textContent = form.getAttribute('data-confirm-no') || 'Cancel';
    var yes = document.createElement('button');
    yes.type = 'button';
    yes.className = 'btn ' + (form.getAttribute('data-confirm-kind') === 'primary' ? 'btn-primary' : 'btn-danger');
    yes.setAttribute('data-confirm-ok', '');
    yes.textContent = form.getAttribute('data-confirm-yes') || 'OK';
    actions.appendChild(no);
    actions.appendChild(yes);
    dialog.appendChild(p);
    dialog.appendChild(actions);
    document.body.appendChild(dialog);
    no.addEventListener('click', function () { dialog.close(); });
    dialog.addEventListener('close', function () { dialog.remove(); });
    yes.addEventListener('click', function () {
      var flag = document.createElement('input');
      flag.type = 'hidden';
      flag.name = 'confirmed';
      flag.value = '1';
      form.appendChild(flag);
      form.setAttribute('data-confirmed', '1');
      dialog.close();
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    });
    dialog.showModal();
    no.focus();
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) return;
    if (form.getAttribute('data-confirmed') === '1') return;
    // data-confirm-when="decline": only that submit button asks (approve goes at once).
    var when = form.getAttribute('data-confirm-when');
    if (when && !(e.submitter && e.submitter.value === when)) return;
    if (typeof HTMLDialogElement !== 'function') return;
    e.preventDefault();
    ask(form, e.submitter);
  });
  document.addEventListener('click', function (e) {
    var b = e.target instanceof Element ? e.target.closest('[data-copy]') : null;
    if (!b) return;
    var input = document.querySelector(b.getAttribute('data-copy'));
    if (!input) return;
    input.select();
    var done = function () { b.textContent = b.getAttribute('data-copied') || b.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand('copy'); done(); });
    } else {
      document.execCommand('copy');
      done();
    }
  });
})();
