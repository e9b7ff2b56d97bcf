// Token shards from untrusted files: a 4-byte id of 2³¹ or more must not read as a negative Int32 and
// slip under the vocabulary check; training refuses it with a typed error naming the shard.
import Foundation
import Testing
@testable import QuillTraining

@Suite("Token shards")
struct TokenShardTests {
    @Test func largeFourByteIdsStayLargeAndAreRefused() throws {
        let dir = temporaryDirectory("shard")
        defer { try? FileManager.default.removeItem(at: dir) }
        let hostile = (1 << 31) + 5
        try TokenShard.write([1, 2, hostile, 3], to: dir.appendingPathComponent("train.bin"))
        try TokenShard.write(Array(repeating: 7, count: 64), to: dir.appendingPathComponent("val.bin"))
        let shard = try TokenShard(url: dir.appendingPathComponent("train.bin"))
        #expect(shard.bytesPerToken == 4)
        #expect(shard.maxToken() == hostile)
        var c = tinyConfig(data: dir)
        c.sequenceLength = 2; c.batchSize = 1
        do {
            _ = try makeTrainer(c, temporaryDirectory("shard-out"))
            Issue.record("a shard holding id \(hostile) was accepted")
        } catch let error as TrainingError {
            #expect("\(error)".contains("\(hostile)"), "\(error)")
        }
    }

    @Test func twoByteIdsReadUnsigned() throws {
        let url = temporaryDirectory("shard2").appendingPathComponent("s.bin")
        try TokenShard.write([65535, 0, 40000], to: url)
        let shard = try TokenShard(url: url)
        #expect(shard.bytesPerToken == 2 && shard.maxToken() == 65535 && shard[2] == 40000)
    }
}
