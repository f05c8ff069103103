import NIOCore
import NIOSSL

/// Closes a connection on which no application data has arrived within `timeout` of its creation, i.e. whose TLS
/// handshake (and the HTTP/2 preface or settings that follow it at once) did not complete. Keepalive only starts
/// once a connection is up, so without this a peer that accepts TCP and then goes silent (a frozen machine, a
/// black-holed link) would hold a client's reconnection attempt, or a server's accepted socket, forever.
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Decrypted bytes: the handshake is done and the peer is talking. The job is done; step aside.
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    /// Installs the deadline right after the channel's TLS handler, so that it sees only decrypted data; does
    /// nothing on a channel without TLS.
    static func install(on channel: any Channel, timeout: Duration) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            let tls: (any ChannelHandler)? =
                (try? pipeline.handler(type: NIOSSLClientHandler.self))
                ?? (try? pipeline.handler(type: NIOSSLServerHandler.self))
            guard let tls else { return }
            try pipeline.addHandler(HandshakeDeadline(timeout: TimeAmount(timeout)), position: .after(tls))
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
