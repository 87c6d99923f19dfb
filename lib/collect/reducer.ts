import type { KubeObject, SecretMeta } from './types';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

type Item = KubeObject | SecretMeta;
export const itemKey = (o: Item) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Applies one watch event to a resource's current objects (keyed namespace/name) and returns whether
 * anything changed. ADDED and MODIFIED replace the object (an older resourceVersion is not applied over
 * a newer one only when both are equal: resourceVersions are opaque, compared for equality only);
 * DELETED removes it; BOOKMARK and ERROR change nothing here (the watch loop handles them).
 */
export function applyWatchEvent(items: Map<string, Item>, event: WatchEvent<Item>): boolean {
  const key = itemKey(event.object);
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED': {
      const current = items.get(key);
      if (
        current &&
        current.metadata.resourceVersion &&
        current.metadata.resourceVersion === event.object.metadata.resourceVersion
      )
        return false;
      items.set(key, event.object);
      return true;
    }
    case 'DELETED':
      return items.delete(key);
    default:
      return false;
  }
}

/** Replaces a resource's objects with a fresh list (after a relist); returns whether anything differed. */
export function replaceAll(items: Map<string, Item>, list: Item[]): boolean {
  const next = new Map(list.map((o) => [itemKey(o), o]));
  let changed = next.size !== items.size;
  if (!changed)
    for (const [k, v] of next) if (items.get(k)?.metadata.resourceVersion !== v.metadata.resourceVersion) changed = true;
  items.clear();
  for (const [k, v] of next) items.set(k, v);
  return changed;
}
