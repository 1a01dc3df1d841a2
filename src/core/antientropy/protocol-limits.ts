/** Limits of the anti-entropy messages, checked on arrival (message-check.ts). */

/** Keys one aaeKeys message lists, or one aaeKeysReply asks for. */
export const aaeListedKeysMax = 100_000;
/** Objects one aaeRepair message carries (a sender starts a new message after this many). */
export const aaeRepairObjectsMax = 1_000;
