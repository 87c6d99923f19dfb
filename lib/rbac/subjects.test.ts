import { describe, expect, it } from 'vitest';
import { nonRbacAuthorizerFor } from './subjects';

describe('nonRbacAuthorizerFor', () => {
  it('names identities other authorizers decide', () => {
    expect(nonRbacAuthorizerFor({ name: 'x', groups: ['system:masters'] })).toMatch(/system:masters/);
    expect(nonRbacAuthorizerFor({ name: 'system:node:n1', groups: ['system:nodes'] })).toMatch(/Node authorizer/);
    expect(nonRbacAuthorizerFor({ name: 'system:node:n1', groups: ['system:authenticated'] })).toBeUndefined();
    expect(nonRbacAuthorizerFor({ name: 'kubelet-ish', groups: ['system:nodes'] })).toBeUndefined();
    expect(nonRbacAuthorizerFor({ name: 'system:apiserver', groups: [] })).toBeDefined();
  });
});
