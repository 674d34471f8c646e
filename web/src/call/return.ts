/**
 * Where the clinician goes after hanging up: back to the console that opened this tab (the tab
 * closes and the console comes to the front), or back in history when the call replaced a page.
 */
export function backToWhereTheyWere(
  w: { readonly opener: Pick<Window, 'focus'> | null } & Pick<Window, 'close' | 'history'>,
): void {
  if (w.opener) {
    w.opener.focus();
    w.close();
    return;
  }
  if (w.history.length > 1) w.history.back();
}
