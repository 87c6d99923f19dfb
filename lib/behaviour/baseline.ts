/**
 * Learning a baseline: what one ServiceAccount did during its learning window, from the distinct shapes of
 * its calls (engine.ts reads them with SELECT DISTINCT, so a busy identity's week is a few hundred rows).
 *
 * - actions and namespaces come from calls that succeeded: a call refused while learning is not normal
 *   when it later succeeds (its permission was granted since, or its token is in other hands);
 * - addresses and clients (user-agent products) come from every call;
 * - `podless`: it made calls without pod-bound claims (a controller's own token, a legacy Secret token).
 *
 * The class's expected actions (profiles.ts) are not copied in: detect.ts consults them beside the
 * baseline, so a changed profile applies to baselines already learned.
 */
import { actionKey, userAgentProduct, type Baseline, type CallEvent, type Subject } from './detect';

export type CallShape = Pick<
  CallEvent,
  'verb' | 'resource' | 'namespace' | 'requestURI' | 'responseCode' | 'sourceIp' | 'userAgent'
> & {
  podless: boolean;
};

export function learnBaseline(shapes: readonly CallShape[], subject: Subject, maxPerHour: number): Baseline {
  const actions = new Set<string>();
  const namespaces = new Set<string>();
  const sources = new Set<string>();
  const userAgents = new Set<string>();
  let podless = false;
  for (const s of shapes) {
    const ok = s.responseCode === null || s.responseCode < 400;
    if (ok) {
      actions.add(actionKey(s, subject));
      if (s.namespace) namespaces.add(s.namespace);
    }
    if (s.sourceIp) sources.add(s.sourceIp);
    userAgents.add(userAgentProduct(s.userAgent));
    podless ||= s.podless;
  }
  return { actions, namespaces, sources, userAgents, podless, maxPerHour };
}

/** A baseline as stored (sorted lists, so equal baselines are equal rows). */
export interface StoredBaseline {
  actions: string[];
  namespaces: string[];
  sources: string[];
  userAgents: string[];
  podless: boolean;
  maxPerHour: number;
}

export const storeBaseline = (b: Baseline): StoredBaseline => ({
  actions: [...b.actions].sort(),
  namespaces: [...b.namespaces].sort(),
  sources: [...b.sources].sort(),
  userAgents: [...b.userAgents].sort(),
  podless: b.podless,
  maxPerHour: b.maxPerHour,
});

export const loadBaseline = (s: StoredBaseline): Baseline => ({
  actions: new Set(s.actions),
  namespaces: new Set(s.namespaces),
  sources: new Set(s.sources),
  userAgents: new Set(s.userAgents),
  podless: s.podless,
  maxPerHour: s.maxPerHour,
});
