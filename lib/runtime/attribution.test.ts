import { describe, expect, it } from 'vitest';
import { podNamePattern, workloadOfPod } from './attribution';

const workloads = [
  { kind: 'Deployment', name: 'api' },
  { kind: 'Deployment', name: 'api-worker' },
  { kind: 'StatefulSet', name: 'db' },
  { kind: 'DaemonSet', name: 'node-agent' },
  { kind: 'CronJob', name: 'backup' },
  { kind: 'Job', name: 'migrate' },
  { kind: 'Pod', name: 'debug.shell' },
];
const of = (pod: string) => workloadOfPod(pod, workloads)?.name ?? null;

describe('workloadOfPod', () => {
  it('names the controller of each kind by its pods’ names', () => {
    expect(of('api-7d9f8c6b5-x2k9p')).toBe('api');
    expect(of('api-worker-5c8d7f9b4-q8w7e')).toBe('api-worker');
    expect(of('db-0')).toBe('db');
    expect(of('db-12')).toBe('db');
    expect(of('node-agent-h7x2k')).toBe('node-agent');
    expect(of('backup-29412345-abcde')).toBe('backup');
    expect(of('migrate-zz9xq')).toBe('migrate');
    expect(of('debug.shell')).toBe('debug.shell');
  });

  it('does not take a sibling’s pods or unknown names', () => {
    expect(of('api-worker')).toBeNull();
    expect(of('db-abc')).toBeNull();
    expect(of('debugxshell')).toBeNull(); // the dot is literal
    expect(of('other-7d9f8c6b5-x2k9p')).toBeNull();
    expect(of('api-7d9f8c6b5-X2K9P')).toBeNull();
  });

  it('has no pattern for kinds whose pods cannot be told by name', () => {
    expect(podNamePattern({ kind: 'ReplicaSet', name: 'x' })).toBeNull();
    expect(podNamePattern({ kind: 'StatefulSet', name: 'a.b' })).toBe('^a\\.b-[0-9]+$');
  });
});
