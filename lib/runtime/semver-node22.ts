/**
 * jsonwebtoken asks semver whether this Node has RSA-PSS and key-detail support; on Lambda's Node 22
 * every answer is yes. Bundles use this instead of the whole semver package (about 28 KB of 400).
 */
export function satisfies(): boolean {
  return true;
}
export default { satisfies };
