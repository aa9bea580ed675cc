/**
 * When this agent was built (ms since the epoch): a clock earlier than that is certainly wrong.
 * The bundler writes it in (tsup.config.ts, `define`, from SOURCE_DATE_EPOCH when set, so a
 * package build is reproducible); run from source (tests), the date of this line stands in.
 */
declare const POS_AGENT_BUILT_AT: number | undefined;

const SOURCE_FALLBACK = Date.UTC(2026, 10, 1);

export const BUILT_AT: number = typeof POS_AGENT_BUILT_AT === 'number' ? POS_AGENT_BUILT_AT : SOURCE_FALLBACK;
