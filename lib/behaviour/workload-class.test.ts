import { describe, expect, it } from 'vitest';
import { classifyWorkload, imageName, type WorkloadFacts, serviceAccountClass, type ClassifiedWorkload } from './workload-class';

const w = (over: Partial<WorkloadFacts>): WorkloadFacts => ({ kind: 'Deployment', name: 'app', images: [], labels: {}, ...over });
const cls = (over: Partial<WorkloadFacts>, agents?: string[]) =>
  classifyWorkload(w(over), agents && { userAgents: agents }).class;

describe('imageName', () => {
  it('drops the registry, tag and digest', () => {
    expect(imageName('quay.io/argoproj/argocd:v3.5.1')).toBe('argoproj/argocd');
    expect(imageName('registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:59')).toBe('ingress-nginx/controller');
    expect(imageName('localhost:5000/team/app')).toBe('team/app');
    expect(imageName('nginx')).toBe('nginx');
    expect(imageName('falcosecurity/event-generator:latest')).toBe('falcosecurity/event-generator');
  });
});

describe('classifyWorkload', () => {
  it('tells the classes of the demo cluster’s workloads apart, with a reason', () => {
    expect(
      cls({
        name: 'cert-manager',
        images: ['quay.io/jetstack/cert-manager-controller:v1.19.4'],
        labels: { 'app.kubernetes.io/component': 'controller' },
      }),
    ).toBe('controller');
    expect(cls({ name: 'tigera-operator', images: ['quay.io/tigera/operator:v1.42.3'] })).toBe('controller');
    expect(
      cls({
        name: 'gatekeeper-audit',
        images: ['openpolicyagent/gatekeeper:v3.23.0'],
        labels: { 'control-plane': 'audit-controller' },
      }),
    ).toBe('controller');
    expect(cls({ name: 'calico-kube-controllers', images: ['quay.io/calico/kube-controllers:v3.32.1'] })).toBe('controller');
    expect(cls({ kind: 'StatefulSet', name: 'argocd-application-controller', images: ['quay.io/argoproj/argocd:v3.5.1'] })).toBe(
      'controller',
    );
    expect(cls({ name: 'istio-ingressgateway', images: ['gcr.io/istio-release/proxyv2:1.29.1'] })).toBe('mesh-proxy');
    expect(cls({ name: 'payments-api', images: ['registry.shop.example.com/payments/api:1.42.0'] })).toBe('service');
    expect(cls({ kind: 'StatefulSet', name: 'warehouse-db', images: ['docker.io/library/postgres:17.6'] })).toBe('service');
    expect(cls({ kind: 'CronJob', name: 'nightly-etl' })).toBe('batch');
    expect(cls({ kind: 'DaemonSet', name: 'calico-node', images: ['quay.io/calico/node:v3.32.1'] })).toBe('node-agent');
    expect(classifyWorkload(w({ name: 'istiod', images: ['gcr.io/istio-release/pilot:1.29.1'] })).reason).toBe(
      'a long-running Deployment with no sign of another class',
    );
  });

  it('recognises CI runners and AI agents by image or label', () => {
    expect(cls({ name: 'runner', images: ['gitlab/gitlab-runner:v17.0.0'] })).toBe('ci-runner');
    expect(cls({ kind: 'Pod', name: 'build-abc', labels: { 'tekton.dev/taskRun': 'build-abc' } })).toBe('ci-runner');
    expect(cls({ kind: 'Job', name: 'image-build', images: ['gcr.io/kaniko-project/executor:v1.23.0'] })).toBe('ci-runner');
    expect(cls({ name: 'support-bot', images: ['ghcr.io/acme/langgraph-support-bot:2.1'] })).toBe('ai-agent');
    expect(cls({ name: 'k8s-agent', labels: { 'kagent.dev/agent': 'k8s-agent' } })).toBe('ai-agent');
  });

  it('does not take ordinary images for special classes', () => {
    expect(cls({ name: 'nginx-proxy', images: ['jwilder/nginx-proxy:1.5'] })).toBe('service');
    expect(cls({ name: 'web', images: ['acme/executor:1'] })).toBe('service');
    expect(cls({ name: 'proxy', images: ['acme/proxy:1'] })).toBe('service');
    expect(cls({ name: 'webhook', images: ['acme/webhook:1'] })).toBe('service');
  });

  it('calls a workload whose token is used with kubectl human-like, whatever else it is', () => {
    const d = classifyWorkload(w({ kind: 'DaemonSet' }), {
      userAgents: ['app/1.0', 'kubectl/v1.35.0 (linux/amd64) kubernetes/abc123'],
    });
    expect(d).toEqual({
      class: 'human-like',
      reason: "its ServiceAccount's token was used with kubectl's user agent (kubectl/v1.35.0 (linux/amd64) kubernetes/abc123)",
    });
    expect(cls({ kind: 'DaemonSet' }, ['app/1.0'])).toBe('node-agent');
  });
});

describe('serviceAccountClass', () => {
  const w = (kind: string, name: string, extra: Partial<ClassifiedWorkload> = {}): ClassifiedWorkload => ({
    kind,
    name,
    images: ['registry.example/app:1'],
    labels: {},
    ...extra,
  });
  it('takes the most common class of its workloads, with the reason', () => {
    const d = serviceAccountClass({ namespace: 'shop', name: 'api' }, [
      w('Deployment', 'api'),
      w('Deployment', 'web'),
      w('CronJob', 'report'),
    ]);
    expect(d).toEqual({
      class: 'service',
      reason: 'Deployment api: a long-running Deployment with no sign of another class (2 of its 3 workloads)',
    });
  });
  it("honours an owner's choice over the facts", () => {
    const d = serviceAccountClass({ namespace: 'shop', name: 'api' }, [
      w('Deployment', 'api', { classOverride: 'ai-agent', classOverrideReason: 'runs our agent' }),
    ]);
    expect(d).toEqual({ class: 'ai-agent', reason: 'Deployment api: set by its owner: runs our agent' });
  });
  it("knows kube-controller-manager's own ServiceAccounts without a workload", () => {
    expect(serviceAccountClass({ namespace: 'kube-system', name: 'deployment-controller' }, []).class).toBe('controller');
    expect(serviceAccountClass({ namespace: 'kube-system', name: 'generic-garbage-collector' }, []).class).toBe('controller');
    expect(serviceAccountClass({ namespace: 'shop', name: 'deployment-controller' }, []).class).toBe('service');
  });
});
