import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { receivedPacketBytes, sentPacketBytes } from './mqtt-bytes.js';

/** Each size checked against the bytes mqtt-packet writes and parses. */
function parsed(bytes: Buffer, protocolVersion: 4 | 5): mqttPacket.Packet {
  const parser = mqttPacket.parser({ protocolVersion });
  let packet: mqttPacket.Packet | undefined;
  parser.on('packet', (p) => (packet = p));
  parser.parse(bytes);
  return packet!;
}

describe('MQTT bytes by packet', () => {
  const publish = (payloadBytes: number): mqttPacket.IPublishPacket => ({
    cmd: 'publish', topic: 'pos/v1/T-000123/heartbeat', payload: Buffer.alloc(payloadBytes, 0x61), qos: 1, messageId: 7, retain: false, dup: false,
  });

  for (const [name, packet, version] of [
    ['a PINGREQ', { cmd: 'pingreq' } as mqttPacket.Packet, 4],
    ['a 388-byte heartbeat, MQTT 5', publish(388), 5],
    ['a 20,000-byte reply part, MQTT 3.1.1', publish(20_000), 4],
    ['a PUBACK, MQTT 5', { cmd: 'puback', messageId: 9, reasonCode: 0 } as mqttPacket.Packet, 5],
  ] as const) {
    it(name, () => {
      const bytes = mqttPacket.generate(packet, { protocolVersion: version });
      expect(sentPacketBytes(packet, version)).toBe(bytes.length);
      expect(receivedPacketBytes(parsed(bytes, version).length!)).toBe(bytes.length);
    });
  }
});
