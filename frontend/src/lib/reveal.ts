// An error appears where the user is looking (issue #12: an upload's error was
// drawn 1,455 px above the admin's viewport): an element marked use:reveal
// scrolls into view, as little as needed, when it appears and when its text
// changes (a second failure after the first was scrolled away).
export function reveal(node: HTMLElement, text?: unknown) {
  const show = () => node.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  // After this frame: the element's layout (and a sticky parent's) is known.
  requestAnimationFrame(show);
  return {
    update(next?: unknown) {
      if (next !== text) requestAnimationFrame(show);
      text = next;
    },
  };
}
