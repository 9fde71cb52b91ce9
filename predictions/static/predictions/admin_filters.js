// The review queue's speaker and source filters (admin/filters.py MostPredictedFilter): the
// search box under the links is the admin's own autocomplete (select2, started by the
// admin's autocomplete.js); picking a name goes to the list filtered by it, the link the
// filter would have had.
"use strict";

window.addEventListener("load", () => {
  const $ = window.django && window.django.jQuery;
  if (!$) return;
  $("select[data-picked-url]").on("change", function () {
    if (this.value) {
      window.location.search = this.dataset.pickedUrl.replace("__picked__", encodeURIComponent(this.value));
    }
  });
});
