/*
 * Progressive enhancement for forms rendered by server/forms/render.py.
 *
 * - [data-show-if] containers are shown or hidden as the fields they depend on change.
 *   Hidden inputs are disabled so the browser does not submit them.
 * - [data-array] fieldsets get working "add" and "remove" buttons for their rows; rows
 *   are renumbered so names stay {prefix}.rows.0, .1, ... without gaps.
 *
 * Without JavaScript every part stays visible, the buttons stay hidden, and the server
 * drops blank rows and conditional parts whose condition is false.
 * No inline scripts (the Content-Security-Policy forbids them) and no libraries.
 */
(function () {
  "use strict";

  var INDEX = "__INDEX__";
  var FIELDS = "input, select, textarea, button";
  var RENAMED = ["name", "id", "for", "aria-describedby", "aria-labelledby", "data-array-name",
    "data-row-prefix"];

  // ---- conditional parts -------------------------------------------------------------

  function valuesOf(scope, name) {
    var values = [];
    var fallback = null;
    var fields = scope.querySelectorAll("[name]");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.name !== name || field.disabled) { continue; }
      if (field.hasAttribute("data-checkbox-fallback")) { fallback = field.value; continue; }
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { continue; }
      if (field.tagName === "SELECT" && field.multiple) {
        for (var j = 0; j < field.options.length; j++) {
          if (field.options[j].selected) { values.push(field.options[j].value); }
        }
        continue;
      }
      if (field.value.trim() !== "") { values.push(field.value); }
    }
    if (!values.length && fallback !== null) { values.push(fallback); }
    return values;
  }

  function clauseHolds(scope, clause) {
    var values = valuesOf(scope, clause.field);
    var result;
    if (clause.present) {
      result = values.length > 0;
    } else if (!values.length) {
      // JSON Schema: a property that is absent satisfies "properties" unless required.
      result = Boolean(clause.optional);
    } else {
      result = values.some(function (value) { return clause["in"].indexOf(value) !== -1; });
    }
    return clause.not ? !result : result;
  }

  function ruleHolds(scope, rule) {
    return rule.some(function (alternative) {
      return alternative.every(function (clause) { return clauseHolds(scope, clause); });
    });
  }

  function setShown(container, shown) {
    if (shown === !container.hidden) { return false; }
    container.hidden = !shown;
    var fields = container.querySelectorAll(FIELDS);
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (!shown) {
        if (!field.disabled) { field.disabled = true; field.setAttribute("data-disabled-by-condition", ""); }
      } else if (field.hasAttribute("data-disabled-by-condition") && !field.closest("[data-show-if][hidden]")) {
        // (a field inside another part that is still hidden stays disabled)
        field.disabled = false;
        field.removeAttribute("data-disabled-by-condition");
      }
    }
    return true;
  }

  function updateConditions(scope) {
    var containers = scope.querySelectorAll("[data-show-if]");
    // A part can depend on a field inside another conditional part: repeat until stable.
    for (var pass = 0; pass < 5; pass++) {
      var changed = false;
      for (var i = 0; i < containers.length; i++) {
        var rule;
        try { rule = JSON.parse(containers[i].getAttribute("data-show-if")); } catch (e) { continue; }
        if (setShown(containers[i], ruleHolds(scope, rule))) { changed = true; }
      }
      if (!changed) { return; }
    }
  }

  // ---- repeatable rows -----------------------------------------------------------------

  function idOf(name) { return name.replace(/\./g, "-"); }

  function renameToken(token, from, to) {
    var fromId = idOf(from);
    var toId = idOf(to);
    if (token === from || token.indexOf(from + ".") === 0) { return to + token.slice(from.length); }
    if (token === fromId || token.indexOf(fromId + "-") === 0) { return toId + token.slice(fromId.length); }
    return token;
  }

  function renameElement(element, from, to) {
    RENAMED.forEach(function (attribute) {
      var value = element.getAttribute(attribute);
      if (value === null) { return; }
      var renamed = value.split(" ").map(function (token) { return renameToken(token, from, to); }).join(" ");
      if (renamed !== value) { element.setAttribute(attribute, renamed); }
    });
    var rule = element.getAttribute("data-show-if");
    if (rule !== null) {
      try {
        var parsed = JSON.parse(rule);
        parsed.forEach(function (alternative) {
          alternative.forEach(function (clause) { clause.field = renameToken(clause.field, from, to); });
        });
        element.setAttribute("data-show-if", JSON.stringify(parsed));
      } catch (e) { /* leave a malformed rule alone */ }
    }
  }

  function renameTree(root, from, to) {
    if (root.nodeType === 1) { renameElement(root, from, to); }
    var elements = root.querySelectorAll("*");
    for (var i = 0; i < elements.length; i++) {
      renameElement(elements[i], from, to);
      // rows of nested arrays live inside <template> content, which querySelectorAll skips
      if (elements[i].tagName === "TEMPLATE") { renameTree(elements[i].content, from, to); }
    }
  }

  function ownRows(array) {
    var list = array.querySelector("[data-rows]");
    return Array.prototype.filter.call(list.children, function (child) { return child.hasAttribute("data-row"); });
  }

  function renumber(array) {
    var arrayName = array.getAttribute("data-array-name");
    ownRows(array).forEach(function (row, index) {
      var from = row.getAttribute("data-row-prefix");
      var to = arrayName + "." + index;
      if (from !== to) { renameTree(row, from, to); }
      var numbers = row.querySelectorAll("[data-row-number]");
      for (var i = 0; i < numbers.length; i++) {
        if (numbers[i].closest("[data-row]") === row) { numbers[i].textContent = String(index + 1); }
      }
    });
    updateAddButton(array);
  }

  function updateAddButton(array) {
    var button = own(array, "[data-add-row]");
    var max = parseInt(array.getAttribute("data-max-rows"), 10);
    if (button) { button.disabled = !isNaN(max) && ownRows(array).length >= max; }
  }

  function own(array, selector) {
    var buttons = array.querySelectorAll(selector);
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].closest("[data-array]") === array) { return buttons[i]; }
    }
    return null;
  }

  function firstField(element) {
    return element.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
      "textarea:not([disabled])");
  }

  function addRow(array) {
    var template = own(array, "template[data-row-template]");
    if (!template) { return; }
    var fragment = template.content.cloneNode(true);
    var row = fragment.querySelector("[data-row]");
    enhance(fragment);
    array.querySelector("[data-rows]").appendChild(fragment);
    renumber(array);
    updateConditions(array.closest("form") || document);
    var field = firstField(row);
    (field || row).focus();
  }

  function removeRow(row) {
    var array = row.closest("[data-array]");
    var rows = ownRows(array);
    var index = rows.indexOf(row);
    row.parentNode.removeChild(row);
    renumber(array);
    updateConditions(array.closest("form") || document);
    var remaining = ownRows(array);
    var next = remaining[Math.min(index, remaining.length - 1)];
    var target = (next && firstField(next)) || own(array, "[data-add-row]");
    if (target) { target.focus(); }
  }

  // ---- wiring ------------------------------------------------------------------------

  function enhance(root) {
    var buttons = root.querySelectorAll("[data-add-row], [data-remove-row]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].hidden = false; }
  }

  function init() {
    enhance(document);
    var arrays = document.querySelectorAll("[data-array]");
    for (var i = 0; i < arrays.length; i++) { updateAddButton(arrays[i]); }
    var scopes = [];
    var containers = document.querySelectorAll("[data-show-if]");
    for (var j = 0; j < containers.length; j++) {
      var scope = containers[j].closest("form") || document;
      if (scopes.indexOf(scope) === -1) { scopes.push(scope); }
    }
    scopes.forEach(function (scope) {
      var update = function () { updateConditions(scope); };
      scope.addEventListener("input", update);
      scope.addEventListener("change", update);
      update();
    });
    document.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      if (add) { event.preventDefault(); addRow(add.closest("[data-array]")); return; }
      var remove = event.target.closest("[data-remove-row]");
      if (remove) { event.preventDefault(); removeRow(remove.closest("[data-row]")); }
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
