// The one way a modal dialog behaves with a keyboard and a screen reader
// (WCAG 2.1.2, 2.4.3): on open the focus moves into it (the element marked
// data-autofocus, else the first control, else the dialog itself); Tab and
// Shift+Tab stay inside while it is open; Escape calls onescape when the
// dialog may be dismissed (not an open ballot); on close the focus returns to
// the control that opened it, if that is still on the page.
//
//   <div class="modal" role="dialog" aria-modal="true" use:dialog={{ onescape: close }}>

export interface DialogOptions {
  /** Called on Escape; leave it out for a dialog that must be answered. */
  onescape?: () => void;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

/** The dialog's controls a Tab can reach, in order (hidden ones left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0 && !el.closest('[inert]'));
}

// Dialogs open over one another (a result, then the next ballot): only the
// top one answers the keyboard and holds the focus.
const open: HTMLElement[] = [];

export function dialog(node: HTMLElement, options: DialogOptions = {}) {
  let opts = options;
  open.push(node);
  const top = () => open[open.length - 1] === node;
  const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;

  function focusInside() {
    if (node.contains(document.activeElement)) return;
    const first = node.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(node)[0];
    // A heading marked data-autofocus (a ballot's title: no option may look
    // chosen) takes the focus without joining the Tab order.
    if (first && !first.matches(FOCUSABLE) && !first.hasAttribute('tabindex')) first.tabIndex = -1;
    if (first) {
      first.focus();
    } else {
      if (!node.hasAttribute('tabindex')) node.tabIndex = -1;
      node.focus();
    }
  }

  function onkeydown(e: KeyboardEvent) {
    if (!top()) return;
    if (e.key === 'Escape' && opts.onescape) {
      e.preventDefault();
      e.stopPropagation();
      opts.onescape();
      return;
    }
    if (e.key !== 'Tab') return;
    const list = focusables(node);
    if (list.length === 0) {
      e.preventDefault();
      return;
    }
    const last = list[list.length - 1];
    const at = document.activeElement;
    // From the dialog's heading (focused on open, not in the Tab order)
    // Shift+Tab goes round to the last control.
    const i = at instanceof HTMLElement ? list.indexOf(at) : -1;
    if (e.shiftKey && (i <= 0 || !node.contains(at))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (at === last || !node.contains(at))) {
      e.preventDefault();
      list[0].focus();
    }
  }

  // Focus that leaves by other means (a click on the backdrop, a screen
  // reader's virtual cursor) is brought back.
  function onfocusin(e: FocusEvent) {
    if (top() && e.target instanceof Node && !node.contains(e.target)) focusInside();
  }

  // The dialog's content may still be rendering: focus once it is.
  queueMicrotask(() => top() && focusInside());
  // A step of the dialog replaced the focused control (a ballot's option
  // chosen, the confirm step shown): the focus would fall to the page.
  const watch = new MutationObserver(() => {
    if (top() && (document.activeElement === document.body || document.activeElement === null)) focusInside();
  });
  watch.observe(node, { childList: true, subtree: true });
  document.addEventListener('keydown', onkeydown, true);
  document.addEventListener('focusin', onfocusin);

  return {
    update(next: DialogOptions = {}) {
      opts = next;
    },
    destroy() {
      const wasTop = top();
      open.splice(open.indexOf(node), 1);
      watch.disconnect();
      document.removeEventListener('keydown', onkeydown, true);
      document.removeEventListener('focusin', onfocusin);
      if (!wasTop) return;
      // Back to the opener once this dialog has left the page, or into the
      // dialog now on top.
      queueMicrotask(() => {
        const under = open[open.length - 1];
        if (under) {
          if (!under.contains(document.activeElement)) (under.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(under)[0] ?? under).focus();
        } else if (opener?.isConnected) {
          opener.focus();
        }
      });
    },
  };
}

/** Whether a modal dialog is open (the room's page-turn keys then do nothing). */
export function dialogOpen(): boolean {
  return open.length > 0;
}
