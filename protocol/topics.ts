/** The topics of one terminal, under `R = {topicRoot}/{terminalId}` (SPEC.md section 4). */
export const TOPIC_SUFFIXES = ['state', 'heartbeat', 'fault', 'faults', 'cmd', 'reply'] as const;
export type TopicSuffix = (typeof TOPIC_SUFFIXES)[number];

export type TerminalTopics = Record<TopicSuffix, string>;

export function terminalTopics(topicRoot: string, terminalId: string): TerminalTopics {
  const base = `${topicRoot}/${terminalId}`;
  return {
    state: `${base}/state`,
    heartbeat: `${base}/heartbeat`,
    fault: `${base}/fault`,
    faults: `${base}/faults`,
    cmd: `${base}/cmd`,
    reply: `${base}/reply`,
  };
}

/** Splits `{topicRoot}/{terminalId}/{suffix}`; undefined for a topic outside the contract. */
export function parseTerminalTopic(
  topic: string,
  topicRoot: string,
): { terminalId: string; suffix: TopicSuffix } | undefined {
  if (!topic.startsWith(`${topicRoot}/`)) return undefined;
  const rest = topic.slice(topicRoot.length + 1).split('/');
  if (rest.length !== 2) return undefined;
  const [terminalId, suffix] = rest as [string, string];
  if (!(TOPIC_SUFFIXES as readonly string[]).includes(suffix)) return undefined;
  return { terminalId, suffix: suffix as TopicSuffix };
}
