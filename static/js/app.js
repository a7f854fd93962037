/* MSP Billing: the page behaviour the Content-Security-Policy allows (no inline script).
   Every page works without it; it adds confirmations, "select all", Print, the menu on wide
   screens and the filter controls after Back. */
"use strict";

/* A form (or its submit button) with data-confirm="..." asks first. In the message,
   "{invoices}" is the number of ticked invoices ("1 invoice", "12 invoices") and "{status}"
   the chosen status; with nothing ticked or chosen it does not ask: the server says what is
   missing. htmx forms use hx-confirm instead (htmx sends before this listener runs). */
document.addEventListener("submit", (event) => {
  const form = event.target;
  const source = event.submitter && event.submitter.dataset.confirm ? event.submitter : form;
  let message = source.dataset.confirm;
  if (!message) return;
  if (message.includes("{invoices}")) {
    const count = form.querySelectorAll('input[name="ids"]:checked').length;
    if (count === 0) return;
    message = message.replace("{invoices}", count === 1 ? "1 invoice" : `${count} invoices`);
  }
  if (message.includes("{status}")) {
    const select = form.querySelector('select[name="status"]');
    if (!select || !select.value) return;
    message = message.replace("{status}", select.selectedOptions[0].textContent.trim());
  }
  if (!window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  /* <input type="checkbox" data-select-all="ids">: ticks or unticks its table's boxes. */
  const all = target.closest("input[data-select-all]");
  if (all) {
    const boxes = all.closest("table").querySelectorAll(`tbody input[name="${all.dataset.selectAll}"]`);
    boxes.forEach((box) => { box.checked = all.checked; });
  }
  if (target.closest("[data-print]")) window.print();
});

/* The main menu is a <details>: a "Menu" button on small screens, always open on wide ones.
   CSS shows it open where the browser styles ::details-content; this covers the others. */
const wide = window.matchMedia("(min-width: 48rem)");
function syncMenu() {
  const menu = document.getElementById("main-menu");
  if (menu) menu.open = wide.matches;
}
wide.addEventListener("change", syncMenu);
syncMenu();

/* Back and Forward after htmx pushed a filtered list's URL: htmx restores the page as it was
   first rendered, so its filter controls may show another view than the list. Set them from
   the address the browser now shows (a missing choice is the list's first, default, option). */
function restoreFilters() {
  const params = new URLSearchParams(window.location.search);
  document.querySelectorAll('form[method="get"][hx-push-url="true"]').forEach((form) => {
    for (const control of form.elements) {
      if (!control.name || ["hidden", "submit", "button"].includes(control.type)) continue;
      if (control.type === "checkbox" || control.type === "radio") {
        control.checked = params.getAll(control.name).includes(control.value);
      } else if (control.multiple) {
        const chosen = params.getAll(control.name);
        for (const option of control.options) option.selected = chosen.includes(option.value);
      } else if (control.tagName === "SELECT") {
        control.value = params.get(control.name) ?? "";
        if (control.selectedIndex < 0) control.selectedIndex = 0; // the list's default view
      } else {
        control.value = params.get(control.name) ?? "";
      }
    }
  });
}
document.addEventListener("htmx:historyRestore", () => {
  restoreFilters();
  syncMenu();
});
