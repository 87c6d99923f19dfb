import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@/lib/paths';
import { classProfile, DEFAULT_PROFILES, durationText, parseDuration, parseProfiles } from './profiles';

describe('behaviour profiles', () => {
  it('ships public/behaviour-profiles.yaml equal to the built-in default', () => {
    const shipped = parseProfiles(readFileSync(path.join(repoRoot, 'public', 'behaviour-profiles.yaml'), 'utf8'));
    expect(shipped).toEqual(DEFAULT_PROFILES);
  });

  it('ships a demo file that only compresses time', () => {
    const demo = parseProfiles(readFileSync(path.join(repoRoot, 'lib', 'demo', 'data', 'demo-behaviour.yaml'), 'utf8'));
    for (const cls of ['service', 'controller', 'batch'] as const) {
      expect(classProfile(demo, cls).learningWindowMs).toBe(5000);
      expect(classProfile(demo, cls).expected).toEqual(classProfile(DEFAULT_PROFILES, cls).expected);
      expect(classProfile(demo, cls).learnable).toEqual(classProfile(DEFAULT_PROFILES, cls).learnable);
    }
  });

  it('lays a class over the defaults, adding its expected actions to theirs', () => {
    const controller = classProfile(DEFAULT_PROFILES, 'controller');
    expect(controller.learningWindowMs).toBe(86_400_000);
    expect(controller.deniedBurst).toEqual({ count: 30, windowMs: 300_000 });
    expect(controller.expected).toContain('get /version cluster');
    expect(controller.expected).toContain('get,list,watch * *');
    expect(controller.learnable).toContain('rbac-change');
    const service = classProfile(DEFAULT_PROFILES, 'service');
    expect(service.learningWindowMs).toBe(7 * 86_400_000);
    expect(service.learnable).toEqual([]);
  });

  it('reads durations and refuses what is not one, naming the field', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(() => parseDuration('7 days')).toThrow(/not a duration/);
    expect(durationText(300_000)).toBe('5 min');
    expect(durationText(30_000)).toBe('30 s');
    expect(durationText(86_400_000)).toBe('1 d');
    const bad = readFileSync(path.join(repoRoot, 'public', 'behaviour-profiles.yaml'), 'utf8').replace(
      'learningWindow: 7d',
      'learningWindow: soon',
    );
    expect(() => parseProfiles(bad, 'x.yaml')).toThrow(/x\.yaml: spec\.defaults\.learningWindow: not a duration/);
    const badAction = readFileSync(path.join(repoRoot, 'public', 'behaviour-profiles.yaml'), 'utf8').replace(
      '- get /version cluster',
      '- get version everywhere',
    );
    expect(() => parseProfiles(badAction)).toThrow(/expected\.1: is not "VERBS RESOURCE SCOPE"/);
    expect(() => parseProfiles('spec: [')).toThrow(/not valid YAML/);
  });
});
