/* Form editor: as the admin types, post the schema, UI schema and sample data to the server, which checks
   them and renders the preview with the caseworkers' renderer; show its problems and the sample's errors. */
(function () {
  'use strict';

  function start() {
    var form = document.getElementById('form-editor');
    if (!form) { return; }
    var url = form.getAttribute('data-preview-url');
    var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
    var preview = document.getElementById('form-preview');
    var problems = document.getElementById('form-problems');
    var sampleErrors = document.getElementById('sample-errors');
    var sampleOk = document.getElementById('sample-ok');
    var timer = null;
    var sequence = 0;

    function fill(box, items, render) {
      var list = box.querySelector('ul');
      list.textContent = '';
      items.forEach(function (item) {
        var li = document.createElement('li');
        var where = render(item);
        if (where) {
          var code = document.createElement('code');
          code.textContent = where;
          li.appendChild(code);
          li.appendChild(document.createTextNode(': '));
        }
        li.appendChild(document.createTextNode(item.message));
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }

    function refresh() {
      var mine = ++sequence;
      var body = { schema: form.elements.schema.value, ui_schema: form.elements.ui_schema.value,
                   data: form.elements.data.value };
      fetch(url, { method: 'POST', credentials: 'same-origin',
                   headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': token },
                   body: JSON.stringify(body) })
        .then(function (resp) { return resp.json(); })
        .then(function (result) {
          if (mine !== sequence) { return; } // an older answer arriving late
          fill(problems, result.problems || [], function (p) { return p.pointer; });
          fill(sampleErrors, result.errors || [], function (e) { return e.path; });
          sampleOk.hidden = !(result.html && !(result.errors || []).length && body.data.trim());
          if (result.html || (result.problems || []).length) {
            // Server-rendered by server/forms/render.py, which escapes every value it puts in.
            preview.innerHTML = result.html || '';
          }
          form.setAttribute('data-preview-version', String(mine));
        });
    }

    form.addEventListener('input', function (event) {
      if (!event.target.name || event.target.name === 'comment' || event.target.closest('#form-preview')) { return; }
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
