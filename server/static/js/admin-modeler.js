/* Sinergi BPMN modeler: bpmn-js with a small properties panel for what Sinergi reads from a model
   (task name, a user task's form and SLA, a lane's group, timer values). Save and Check post the XML
   to the server, which runs the same validation as an upload; problems are listed and highlighted.
   No inline script: the page passes its settings in <script type="application/json" id="modeler-config">. */
(function () {
  'use strict';

  var SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  var TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') { node.textContent = attrs[key]; } else if (attrs[key] !== undefined && attrs[key] !== null) {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, key) { return values[key] !== undefined ? values[key] : m; });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function start() {
    var configNode = $('modeler-config');
    var canvasNode = $('modeler-canvas');
    if (!configNode || !canvasNode) { return; }
    var config = JSON.parse(configNode.textContent);
    var t = config.i18n;
    var status = $('modeler-status');
    if (!window.BpmnJS) {
      status.textContent = 'bpmn-js is not installed on this server (run: npm ci && sh scripts/vendor.sh).';
      return;
    }
    var modeler = new window.BpmnJS({ container: canvasNode });
    var modeling = modeler.get('modeling');
    var moddle = modeler.get('moddle');
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    var panel = $('modeler-panel');
    var selected = null;
    var marked = [];

    function say(text, kind) {
      status.textContent = text;
      status.className = 'modeler-status' + (kind ? ' modeler-status-' + kind : '');
    }

    // --- spiffworkflow:properties as generic moddle elements (unknown spiffworkflow:* elements survive) ---
    function extensionValues(bo) {
      return (bo.extensionElements && bo.extensionElements.values) || [];
    }

    function propertiesElement(bo) {
      var found = null;
      extensionValues(bo).forEach(function (v) { if (v.$type === 'spiffworkflow:properties') { found = v; } });
      return found;
    }

    function getProperty(bo, name) {
      var props = propertiesElement(bo);
      var value = '';
      ((props && props.$children) || []).forEach(function (p) { if (p.name === name) { value = p.value || ''; } });
      return value;
    }

    function setProperty(element, name, value) {
      var bo = element.businessObject;
      var ext = bo.extensionElements;
      if (!ext) {
        ext = moddle.create('bpmn:ExtensionElements', { values: [] });
        ext.$parent = bo;
      }
      var props = propertiesElement(bo);
      var values = (ext.values || []).slice();
      if (!props) {
        props = moddle.createAny('spiffworkflow:properties', SPIFF_NS, { $children: [] });
        props.$parent = ext;
        values.push(props);
      }
      var children = (props.$children || []).filter(function (p) { return p.name !== name; });
      var existing = (props.$children || []).filter(function (p) { return p.name === name; })[0];
      if (value) {
        var prop = existing || moddle.createAny('spiffworkflow:property', SPIFF_NS, { name: name, value: value });
        prop.value = value;
        prop.$parent = props;
        var index = (props.$children || []).indexOf(existing);
        if (index >= 0) { children.splice(index, 0, prop); } else { children.push(prop); }
      }
      props.$children = children;
      if (!children.length) { values = values.filter(function (v) { return v !== props; }); }
      var newExt = values.length ? ext : undefined;
      if (newExt) { newExt.values = values; }
      // One command for undo/redo and for the "changed" state of the diagram.
      modeling.updateProperties(element, { extensionElements: newExt });
    }

    // --- timers ---
    function timerDefinition(bo) {
      var found = null;
      (bo.eventDefinitions || []).forEach(function (d) { if (d.$type === 'bpmn:TimerEventDefinition') { found = d; } });
      return found;
    }

    function timerState(def) {
      var kind = 'timeDuration';
      var body = '';
      TIMER_KINDS.forEach(function (k) { if (def[k]) { kind = k; body = def[k].body || ''; } });
      var literal = /^\s*(["'])(.*)\1\s*$/.exec(body);
      return { kind: kind, body: body, literal: literal ? literal[2] : null };
    }

    function setTimer(element, def, kind, body) {
      var props = {};
      TIMER_KINDS.forEach(function (k) { props[k] = undefined; });
      props[kind] = moddle.create('bpmn:FormalExpression', { body: body });
      modeling.updateModdleProperties(element, def, props);
    }

    // --- the panel ---
    function field(id, label, input, help) {
      return el('div', { 'class': 'field' }, [el('label', { 'for': id, text: label }), input,
        help ? el('span', { 'class': 'muted', text: help }) : null]);
    }

    function select(id, options, value) {
      var node = el('select', { id: id });
      options.forEach(function (o) {
        var opt = el('option', { value: o.value, text: o.label });
        if (o.value === value) { opt.selected = true; }
        node.appendChild(opt);
      });
      return node;
    }

    function onChange(input, fn) {
      input.addEventListener('change', function () { fn(input.value); });
    }

    function render() {
      panel.textContent = '';
      panel.appendChild(el('h2', { text: t.properties }));
      if (!selected || selected.type === 'label') {
        panel.appendChild(el('p', { 'class': 'muted', text: t.nothing }));
        return;
      }
      var element = selected;
      var bo = element.businessObject;
      panel.appendChild(el('p', { 'class': 'muted' }, [el('span', { text: t.id + ': ' }), el('code', { text: bo.id })]));
      if (element.type === 'bpmn:Lane') {
        var lane = bo.name || '';
        var groups = config.groups.map(function (g) { return { value: g.name, label: g.title ? g.title + ' (' + g.name + ')' : g.name }; });
        if (lane && !config.groups.some(function (g) { return g.name === lane; })) {
          groups.unshift({ value: lane, label: lane + (config.laneMap[lane] ? ' — ' + format(t.mapped, { g: config.laneMap[lane] }) : '') });
        }
        groups.unshift({ value: '', label: '—' });
        var laneSelect = select('prop-lane-group', groups, lane);
        onChange(laneSelect, function (value) { modeling.updateProperties(element, { name: value }); });
        panel.appendChild(field('prop-lane-group', t.group, laneSelect));
        return;
      }
      var name = el('input', { id: 'prop-name', value: bo.name || '' });
      name.addEventListener('input', function () { modeling.updateProperties(element, { name: name.value }); });
      panel.appendChild(field('prop-name', t.name, name));
      if (element.type === 'bpmn:UserTask') {
        var current = getProperty(bo, 'formJsonSchemaFilename');
        var forms = [{ value: '', label: t.noForm }].concat(config.forms.map(function (f) {
          return { value: f.file, label: f.title + ' (' + f.key + ')' };
        }));
        if (current && !config.forms.some(function (f) { return f.file === current; })) {
          forms.push({ value: current, label: current });
        }
        var form = select('prop-form', forms, current);
        onChange(form, function (value) {
          setProperty(element, 'formJsonSchemaFilename', value);
          if (getProperty(element.businessObject, 'formUiSchemaFilename')) {
            setProperty(element, 'formUiSchemaFilename', value ? value.replace(/\.schema\.json$/, '.uischema.json') : '');
          }
        });
        panel.appendChild(field('prop-form', t.form, form));
        ['slaDuration', 'slaBasis', 'reviewSubmissions'].forEach(function (key) {
          var input = el('input', { id: 'prop-' + key, value: getProperty(bo, key) });
          onChange(input, function (value) { setProperty(element, key, value.trim()); });
          panel.appendChild(field('prop-' + key, t[key], input));
        });
      }
      var def = timerDefinition(bo);
      if (def) {
        var state = timerState(def);
        panel.appendChild(el('h3', { text: t.timer }));
        var kind = select('prop-timer-kind', [{ value: 'timeDuration', label: t.duration }, { value: 'timeDate', label: t.date },
          { value: 'timeCycle', label: t.cycle }], state.kind);
        var literal = state.literal !== null || !state.body;
        var value = el('input', { id: 'prop-timer-value', value: literal ? (state.literal || '') : state.body });
        var apply = function () {
          var text = value.value.trim();
          setTimer(element, def, kind.value, literal ? JSON.stringify(text) : text);
        };
        onChange(kind, apply);
        onChange(value, apply);
        panel.appendChild(field('prop-timer-kind', t.timerKind, kind));
        panel.appendChild(field('prop-timer-value', literal ? t.timerValue : t.expression, value));
      }
    }

    modeler.on('selection.changed', function (event) {
      selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
      render();
    });
    modeler.on('element.changed', function (event) {
      if (selected && event.element === selected && !panel.contains(document.activeElement)) { render(); }
    });

    // --- problems ---
    function clearMarks() {
      marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, 'sinergi-problem'); } });
      marked = [];
    }

    function showProblems(details) {
      clearMarks();
      var section = $('modeler-problems');
      var list = section.querySelector('ul');
      list.textContent = '';
      (details || []).forEach(function (p) {
        var item = el('li', {}, [el('code', { text: p.element_id || '—' }), document.createTextNode(' ' + p.message)]);
        if (p.element_id && registry.get(p.element_id)) {
          canvas.addMarker(p.element_id, 'sinergi-problem');
          marked.push(p.element_id);
          var link = el('button', { type: 'button', 'class': 'linklike', text: '→' });
          link.addEventListener('click', function () {
            var target = registry.get(p.element_id);
            modeler.get('selection').select(target);
            if (canvas.scrollToElement) { canvas.scrollToElement(target); }
          });
          item.appendChild(link);
        }
        list.appendChild(item);
      });
      section.hidden = !(details && details.length);
    }

    function post(url) {
      return modeler.saveXML({ format: true }).then(function (result) {
        return fetch(url, {
          method: 'POST', credentials: 'same-origin', body: result.xml,
          headers: { 'Content-Type': 'application/xml', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() }
        });
      });
    }

    $('modeler-save').addEventListener('click', function () {
      say(t.saving);
      var comment = $('modeler-comment').value || '';
      post(config.saveUrl + '?comment=' + encodeURIComponent(comment)).then(function (resp) {
        return resp.json().then(function (body) { return { status: resp.status, body: body }; });
      }).then(function (res) {
        if (res.status === 201) {
          showProblems([]);
          say(format(t.saved, { n: res.body.number }), 'ok');
          var link = el('a', { href: res.body.url, id: 'modeler-version-link', text: format(t.openVersion, { n: res.body.number }) });
          status.appendChild(document.createTextNode(' '));
          status.appendChild(link);
        } else {
          showProblems(res.body.details || []);
          say(res.status === 422 ? format(t.invalid, { n: (res.body.details || []).length }) : (res.body.message || t.error), 'bad');
        }
      }).catch(function () { say(t.error, 'bad'); });
    });

    $('modeler-validate').addEventListener('click', function () {
      post(config.validateUrl).then(function (resp) { return resp.json(); }).then(function (body) {
        showProblems(body.details || []);
        say(body.details && body.details.length ? format(t.invalid, { n: body.details.length }) : t.valid,
          body.details && body.details.length ? 'bad' : 'ok');
      }).catch(function () { say(t.error, 'bad'); });
    });

    $('modeler-download').addEventListener('click', function () {
      modeler.saveXML({ format: true }).then(function (result) {
        var url = URL.createObjectURL(new Blob([result.xml], { type: 'application/xml' }));
        var a = el('a', { href: url, download: config.key + '.bpmn' });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
    });

    $('modeler-file').addEventListener('change', function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      file.text().then(load);
    });

    function load(xml) {
      return modeler.importXML(xml).then(function (result) {
        canvas.zoom('fit-viewport');
        selected = null;
        render();
        showProblems([]);
        canvasNode.setAttribute('data-ready', 'true');
        if (result.warnings && result.warnings.length) { say(result.warnings.length + ' import warnings', 'bad'); }
      }).catch(function (err) { say(t.error + ' ' + (err && err.message ? err.message : ''), 'bad'); });
    }

    fetch(config.xmlUrl, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(load);
    render();
    window.sinergiModeler = modeler; // for the browser tests and the console
  }

  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
