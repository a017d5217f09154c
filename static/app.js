// Small enhancements only: every page works without this file.

// A roll-up's child rows drill down when clicked anywhere, not only on the name's link; links and
// selections inside the row keep their own behaviour.
document.addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-href]");
  if (!row || event.target.closest("a, button, input, select") || window.getSelection().toString()) {
    return;
  }
  window.location.href = row.dataset.href;
});
