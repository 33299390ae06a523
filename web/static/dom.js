// DOM helpers shared by the page's modules.

/** The element with ``data-testid="id"``: the page names its parts by their test ids. */
export function byTestId(id) {
  return document.querySelector(`[data-testid="${id}"]`);
}

export function show(node, visible) {
  node.hidden = !visible;
}
