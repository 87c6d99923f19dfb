import { describe, expect, it } from 'vitest';
import { principalClass, type Overview } from '@/lib/data/overview';
import { overviewFailed, overviewLines } from './overview';

const base: Overview = {
  clusters: { ok: true, data: [] },
  sprawl: {
    ok: true,
    data: {
      total: 10,
      builtIn: 2,
      unowned: 4,
      byKind: [{ kind: 'ServiceAccount', identities: 10 }],
      byCluster: [{ cluster: 'c1', identities: 10, unowned: 4 }],
      byNamespace: [{ cluster: 'c1', namespace: 'shop', identities: 7 }],
      otherNamespaces: { namespaces: 2, identities: 3 },
      byTeam: [{ team: 'payments', identities: 6 }],
      perWorkload: [{ identities: '1', workloads: 5 }],
    },
  },
  risk: { ok: false, error: 'the risk could not be read (the server log has the detail)' },
  escalation: { ok: true, data: { rows: [], total: 0 } },
  coverage: { ok: true, data: { rows: [], total: { workloads: 0, shortLived: 0, longLived: 0, none: 0 } } },
  anomalies: { ok: true, data: { bySeverity: [], open: 0 } },
  trends: { ok: true, data: [] },
  principals: null,
  ingestion: null,
};

describe('nhi overview', () => {
  it('prints every block, and the error of one that failed beside the others', () => {
    const text = overviewLines(base).join('\n');
    expect(text).toContain("10 identities (2 of Kubernetes' own not counted), 4 unowned (40%)");
    expect(text).toContain('by namespace: shop 7, 2 others 3');
    expect(text).toContain('Risk\n  error: the risk could not be read');
    expect(text).toContain('Paths to cluster-admin\n  none');
    expect(text).not.toContain('Principals in the audit logs');
    expect(overviewFailed(base)).toBe(true);
    expect(overviewFailed({ ...base, risk: { ok: true, data: { scored: 0, bands: [], top: [] } } })).toBe(false);
  });

  it('fails when one cluster’s ingestion status could not be read', () => {
    const o: Overview = {
      ...base,
      risk: { ok: true, data: { scored: 0, bands: [], top: [] } },
      ingestion: { ok: true, data: [{ cluster: 'broken', status: { ok: false, error: 'bad row' } }] },
    };
    expect(overviewFailed(o)).toBe(true);
    expect(overviewLines(o).join('\n')).toContain('broken  error: bad row');
  });
});

describe('principalClass', () => {
  it('tells machines from people by the audit user name', () => {
    expect(principalClass('system:serviceaccount:shop:api')).toBe('serviceaccount');
    expect(principalClass('system:node:worker-1')).toBe('node');
    expect(principalClass('system:kube-controller-manager')).toBe('system');
    expect(principalClass('alice@example.com')).toBe('human');
  });
});
