/**
 * The UserID rule shared by TUICallKit, IM and TRTC (accounts-auth spec §2): up to 32 bytes of
 * letters, digits, underscore and hyphen. All allowed characters are ASCII, so bytes = characters.
 */

/** The rule in words, so every error message about a bad UserID says the same thing. */
export const USER_ID_RULE =
  'a UserID must be 1 to 32 bytes long and use only letters a-z A-Z, digits 0-9, underscore (_) and hyphen (-)';

const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Guards every entry point that takes a UserID from outside (login, REST, CLI) against ids the platform would refuse. */
export function isValidUserId(id: unknown): id is string {
  return typeof id === 'string' && USER_ID_PATTERN.test(id);
}
