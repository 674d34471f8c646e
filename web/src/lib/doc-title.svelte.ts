/**
 * What the tab's title says instead of the page's name while something must not be missed (an
 * alarm waiting to be acknowledged); PageHeader shows it, and the page's name again once it is gone.
 */
export const docTitle = $state<{ alarm: string | undefined }>({ alarm: undefined });
