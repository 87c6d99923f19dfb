import { describe, expect, it } from 'vitest';
import { poolConfigFromUrl, redactUrl, withDatabase } from './url';

describe('database URLs', () => {
  it('splits a URL into pool fields so another database can be swapped in', () => {
    expect(poolConfigFromUrl('postgresql://nhi:s%40cret@db.local:6543/inventory')).toEqual({
      host: 'db.local',
      port: 6543,
      user: 'nhi',
      password: 's@cret',
      database: 'inventory',
    });
  });

  it('points a URL at another database on the same server', () => {
    expect(withDatabase('postgresql://u:p@127.0.0.1:5432/postgres?sslmode=disable', 'nhi_test_x')).toBe(
      'postgresql://u:p@127.0.0.1:5432/nhi_test_x?sslmode=disable',
    );
  });

  it('never shows the password', () => {
    expect(redactUrl('postgresql://u:topsecret@h:5432/d')).toBe('postgresql://u:***@h:5432/d');
    expect(redactUrl('not a url')).toBe('(unparseable database URL)');
  });
});
