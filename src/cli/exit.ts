// Exit codes, documented in the README.
export const EXIT = { ok: 0, policyFailed: 1, usage: 2, scanError: 3 } as const;
