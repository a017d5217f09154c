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

// A page of work still under way (an import) shows how far it is: its status is read again every
// two seconds into the same live region, and the page reloads once the work is over.
const progress = document.querySelector("[data-progress]");
if (progress) {
  const follow = async () => {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = page.querySelector("[data-progress]");
    if (!next) {
      window.location.reload();
      return;
    }
    progress.textContent = next.textContent;
    setTimeout(follow, 2000);
  };
  setTimeout(follow, 2000);
}
