// The scorecard's source and speaker menus list only the ones with the most predictions.
// Each has a search box (hidden until this script runs, so a page without JavaScript keeps
// the plain menus): typing asks the server for matches (scorecard/<kind>.json?q=...), and
// picking one adds it to the menu, selects it and applies the filter.
"use strict";

document.querySelectorAll("input[data-menu][data-search]").forEach((box) => {
  const menu = document.getElementById(box.dataset.menu);
  const matches = document.getElementById(box.getAttribute("list"));
  let asked = "";
  let timer = 0;

  box.closest(".picker-search").hidden = false;

  const pick = () => {
    const found = Array.from(matches.options).find((option) => option.value === box.value);
    if (!found) return false;
    let option = Array.from(menu.options).find((o) => o.value === found.dataset.slug);
    if (!option) {
      option = new Option(found.value, found.dataset.slug);
      menu.add(option, 1);
    }
    menu.value = option.value;
    menu.form.requestSubmit();
    return true;
  };

  const search = async () => {
    const term = box.value.trim();
    if (!term || term === asked) return;
    asked = term;
    const url = new URL(box.dataset.search, window.location.href);
    url.searchParams.set("q", term);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok || term !== box.value.trim()) return;
    const { results } = await response.json();
    matches.replaceChildren(
      ...results.map(({ value, label }) => {
        const option = document.createElement("option");
        option.value = label;
        option.dataset.slug = value;
        return option;
      }),
    );
  };

  box.addEventListener("input", () => {
    if (pick()) return;
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
});
