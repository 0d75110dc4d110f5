'use client';

import { useLayoutEffect, useSyncExternalStore } from 'react';
import { THEME_STORAGE_KEY, type ThemeChoice } from './theme-script';

const DARK_QUERY = '(prefers-color-scheme: dark)';
const CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

const listeners = new Set<() => void>();

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_STORAGE_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function apply(choice: ThemeChoice) {
  const resolved = choice === 'system' ? (matchMedia(DARK_QUERY).matches ? 'dark' : 'light') : choice;
  document.documentElement.setAttribute('data-theme', resolved);
}

function setChoice(choice: ThemeChoice) {
  try {
    if (choice === 'system') localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // Private mode without storage: the choice lasts until reload.
  }
  apply(choice);
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => e.key === THEME_STORAGE_KEY && listener();
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function ThemeToggle() {
  // The server cannot know the choice: it renders "System", React then re-renders with the stored one.
  const choice = useSyncExternalStore(subscribe, readChoice, () => 'system' as ThemeChoice);

  useLayoutEffect(() => {
    // Re-applies after a dev-mode remount resets <html>, and follows the OS while on "System".
    apply(choice);
    if (choice !== 'system') return;
    const mq = matchMedia(DARK_QUERY);
    const onChange = () => apply('system');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [choice]);

  return (
    <div role="group" aria-label="Colour theme" className="flex rounded-md border border-border bg-panel p-0.5 text-xs">
      {CHOICES.map((c) => (
        <button
          key={c.value}
          type="button"
          aria-pressed={choice === c.value}
          onClick={() => setChoice(c.value)}
          className="rounded px-2.5 py-1 text-muted transition-colors hover:text-fg aria-pressed:bg-accent-soft aria-pressed:font-medium aria-pressed:text-fg"
        >
          {c.label}
        </button>
      ))}
    </div>
  );
}
