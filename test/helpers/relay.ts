import net from 'node:net';

/**
 * A TCP relay on loopback between an agent and its broker, that can be cut like a cellular
 * drop: the agent's connection dies and new ones are refused until `restore()`, while a back end
 * connected to the broker directly keeps receiving.
 */
export class Relay {
  private readonly sockets = new Set<net.Socket>();
  private isCut = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<Relay> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const relay = new Relay(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => relay.accept(client, targetPort));
    return relay;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetPort: number): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const broker = net.connect(targetPort, '127.0.0.1');
    for (const [socket, other] of [
      [client, broker],
      [broker, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(broker);
    broker.pipe(client);
  }
}
