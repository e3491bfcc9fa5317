/* The register's document photos: a thumbnail (a button: click, Enter or Space) opens it large; Escape closes. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("zoom-dialog");
  const big = document.getElementById("zoom-image");
  if (!dialog || !big) return;
  for (const button of document.querySelectorAll("#doc-photos .zoom")) {
    button.addEventListener("click", () => {
      big.src = button.dataset.src;
      big.alt = button.getAttribute("aria-label") || "";
      dialog.showModal();
    });
  }
  big.addEventListener("click", () => dialog.close());
});
