/** localStorage key of an explicit choice; absent means "follow the system". */
export const THEME_STORAGE_KEY = 'hopscope-theme';

export type ThemeChoice = 'system' | 'light' | 'dark';

/**
 * Runs in <head> while the HTML is parsed, so the page never paints in the wrong theme
 * (Next.js guide "Preventing flash before hydration").
 */
export const THEME_SCRIPT = `(function(){try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});if(t!=="light"&&t!=="dark")t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light";document.documentElement.setAttribute("data-theme",t)}catch(e){}})()`;
