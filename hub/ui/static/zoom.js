/* A photo enlarged: each `.zoom` button (click, Enter or Space) opens its picture in #zoom-dialog; Escape,
   the button in the dialog or a click on the picture closes it. The passage's photo viewer and the
   register's document photos use it. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("zoom-dialog");
  const big = document.getElementById("zoom-image");
  if (!dialog || !big) return;
  for (const button of document.querySelectorAll("button.zoom")) {
    button.addEventListener("click", () => {
      const img = button.querySelector("img");
      big.src = button.dataset.src || img.src;
      big.alt = (img && img.alt) || button.getAttribute("aria-label") || "";
      dialog.showModal();
    });
  }
  big.addEventListener("click", () => dialog.close());
});
