import mqttPacket from 'mqtt-packet';

/**
 * The agent's own bytes on its MQTT connection, counted by packet (fixed header, variable header
 * and payload; TLS records and TCP/IP headers not counted), so that a fleet can tell the agent's
 * share of a SIM plan from the payment application's.
 */

/** A packet's size on the wire from its remaining length, as the parser reports it. */
export function receivedPacketBytes(remainingLength: number): number {
  const lengthBytes = remainingLength < 128 ? 1 : remainingLength < 16_384 ? 2 : remainingLength < 2_097_152 ? 3 : 4;
  return 1 + lengthBytes + remainingLength;
}

/** A packet's size as it is written: generated again, which is cheap at the agent's few packets an hour. */
export function sentPacketBytes(packet: mqttPacket.Packet, protocolVersion: 4 | 5): number {
  try {
    return mqttPacket.generate(packet, { protocolVersion }).length;
  } catch {
    return 0;
  }
}
