/* Read-only BPMN diagram (bpmn-js viewer): a case's completed and current steps, or the problems of a
   workflow version, marked on the diagram. Settings come from data attributes; no inline script. */
(function () {
  'use strict';

  function ids(node, name) {
    var raw = node.getAttribute(name);
    if (!raw) { return null; }
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function start() {
    var node = document.getElementById('diagram');
    if (!node) { return; }
    if (!window.BpmnJS) {
      node.textContent = 'bpmn-js is not installed on this server (run: npm ci && sh scripts/vendor.sh).';
      return;
    }
    var viewer = new window.BpmnJS({ container: node });
    fetch(node.getAttribute('data-xml-url'), { credentials: 'same-origin' })
      .then(function (resp) { return resp.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport');
        function mark(list, marker) {
          (list || []).forEach(function (id) { if (id && registry.get(id)) { canvas.addMarker(id, marker); } });
        }
        var progress = ids(node, 'data-progress') || {};
        mark(progress.done, 'sinergi-done');
        mark(progress.active, 'sinergi-active');
        mark(ids(node, 'data-problems'), 'sinergi-problem');
        node.setAttribute('data-ready', 'true');
      })
      .catch(function (err) { node.textContent = String(err && err.message ? err.message : err); });
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
