/** The OWASP item every finding of the product maps to (RBAC capabilities, credentials, and later runtime). */
export type OwaspNhiId = 'NHI1' | 'NHI2' | 'NHI3' | 'NHI4' | 'NHI5' | 'NHI6' | 'NHI7' | 'NHI8' | 'NHI9' | 'NHI10';

/** OWASP Top 10 Non-Human Identities Risks – 2025 (owasp.org/www-project-non-human-identities-top-10). */
export const OWASP_NHI_TOP10: Record<OwaspNhiId, string> = {
  NHI1: 'Improper Offboarding',
  NHI2: 'Secret Leakage',
  NHI3: 'Vulnerable Third-Party NHI',
  NHI4: 'Insecure Authentication',
  NHI5: 'Overprivileged NHI',
  NHI6: 'Insecure Cloud Deployment Configurations',
  NHI7: 'Long-Lived Secrets',
  NHI8: 'Environment Isolation',
  NHI9: 'NHI Reuse',
  NHI10: 'Human Use of NHI',
};
