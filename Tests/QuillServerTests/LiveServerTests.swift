// Over a real TCP socket: a request through Hummingbird's live test client, and clients that hang up
// mid-stream or mid-request, whose slot must come free at once. The model is slowed to 20 ms a step,
// so a generation left running would hold its slot for about 30 s; the slot is checked every 10 ms
// for at most 20 s (a liveness bound, not a timing measurement).
import Foundation
import Hummingbird
import HummingbirdTesting
import QuillFormats
import QuillServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client over a POSIX socket, to hang up at a chosen moment.
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // Generous: under `swift test` every other suite shares the two cores, and a stalled read only
        // waits this long when the server never answers (a success returns as soon as the marker lands).
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    func send(post path: String, json: String) {
        let request = "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until `marker` has arrived `count` times (or the peer closes / 120 s pass); returns what was read.
    func read(until marker: String, count: Int = 1) -> String {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while String(decoding: received, as: UTF8.self).components(separatedBy: marker).count <= count {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    func hangUp() { close(fd) }
}

@Suite("Live server", .serialized)
struct LiveServerTests {
    /// Polls until no slot is in use; false if that takes 20 s.
    static func slotsComeFree(_ server: OpenAIServer) async -> Bool {
        for _ in 0..<2000 {
            let s = server.schedulerStatus
            if s.active == 0 && s.outstanding == 0 { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return false
    }

    static func slowServer() throws -> OpenAIServer {
        let slow = try HeldModel(delayMicroseconds: 20_000, contextLength: 2048)
        return try ServerTests.server(try ServerTests.model(slow)) { $0.parallel = 1 }
    }

    static let long = #"{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 1500, \#(ServerTests.noEarlyStop)"#

    @Test func aRequestOverARealSocket() async throws {
        try await ServerTests.withClient(try ServerTests.server(), .live) { client in
            let response = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 3}"#)
            #expect(response.status == .ok && response.json["usage", "completion_tokens"]?.intValue != nil)
            #expect(response.headers[.connection] == "close")        // generation consumed the connection
            let raw = try RawConnection(port: try #require(client.port))
            raw.send(post: "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 3, "stream": true}"#)
            let streamed = raw.read(until: "data: [DONE]\n\n")
            raw.hangUp()
            #expect(streamed.hasPrefix("HTTP/1.1 200") && streamed.contains("data: [DONE]\n\n"))     // then the chunked-encoding end
        }
    }

    @Test func hangingUpMidStreamFreesTheSlot() async throws {
        let server = try Self.slowServer()
        try await ServerTests.withClient(server, .live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send(post: "/v1/chat/completions", json: Self.long + #", "stream": true}"#)
            let head = connection.read(until: "data: ", count: 2)        // the role chunk and a generated piece
            #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("text/event-stream"))
            #expect(server.schedulerStatus.outstanding == 1)
            connection.hangUp()
            #expect(await Self.slotsComeFree(server), "the abandoned stream still holds its slot")
            // The slot serves the next client.
            #expect(try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}"#).status == .ok)
        }
    }

    @Test func hangingUpBeforeAWholeResponseFreesTheSlot() async throws {
        let server = try Self.slowServer()
        try await ServerTests.withClient(server, .live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send(post: "/v1/chat/completions", json: Self.long + "}")
            var started = false
            for _ in 0..<2000 where !started {                  // until the request holds the slot
                started = server.schedulerStatus.active == 1
                if !started { try await Task.sleep(nanoseconds: 10_000_000) }
            }
            #expect(started)
            connection.hangUp()
            #expect(await Self.slotsComeFree(server), "the abandoned request still holds its slot")
        }
    }
}
