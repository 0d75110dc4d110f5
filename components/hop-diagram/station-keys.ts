/** What a key does on a focused station: select it, or move to the previous or next one. */
export function stationKeyAction(key: string): 'select' | -1 | 1 | null {
  if (key === 'Enter' || key === ' ') return 'select';
  if (key === 'ArrowRight' || key === 'ArrowDown') return 1;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return -1;
  return null;
}
