/** Exit codes of every command (SPEC.md section 2). */
export const EXIT = { OK: 0, FATAL: 1, USAGE: 2 } as const;
