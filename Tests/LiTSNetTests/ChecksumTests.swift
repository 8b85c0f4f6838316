import Foundation
import XCTest
@testable import LiTSNet

/// SHA-256 against Python's hashlib, and checkpoints that refuse a changed byte.
final class ChecksumTests: XCTestCase {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-checksum-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testSHA256MatchesHashlib() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data((0..<1000).map { UInt8(($0 * 7 + 3) % 256) })),
                       "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371")
        // Lengths around the padding boundary (one or two final blocks).
        let expected = [55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
                        56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
                        63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
                        64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
                        65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"]
        for (n, hex) in expected { XCTAssertEqual(SHA256.hex(Data((0..<n).map { UInt8($0) })), hex, "\(n) bytes") }
    }

    static func flipByte(in path: String, at offset: Int? = nil) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let i = offset ?? bytes.count - 3   // in the last tensor's data: the file still parses
        bytes[i] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func testCheckpointRecordsItsChecksumAndRefusesAFlippedByte() throws {
        let dir = try tempDir()
        var config = UNetConfig()
        config.filters = [4, 8]
        let model = UNet3D(config)
        let path = dir + "/model.safetensors"
        let info = try Checkpoint.save(model, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(info.sha256, SHA256.hex(bytes))
        XCTAssertEqual(try Checkpoint.info(path), info, "the checksum is in model.json")
        XCTAssertNoThrow(try Checkpoint.load(path))

        try ChecksumTests.flipByte(in: path)
        XCTAssertNoThrow(try Safetensors.read(path), "the damaged file still parses: only the checksum catches it")
        XCTAssertThrowsError(try Checkpoint.load(path)) { error in
            XCTAssertEqual("\(error)", "\(path): checksum mismatch: the file was changed or damaged after it was written")
        }
        XCTAssertThrowsError(try Safetensors.read(path, sha256: info.sha256))
    }

    func testCheckpointWithoutAChecksumStillLoads() throws {
        let dir = try tempDir()
        var config = UNetConfig()
        config.filters = [4, 8]
        let path = dir + "/old.safetensors"
        try Checkpoint.save(UNet3D(config), to: path)
        // A config JSON as written before checksums were recorded.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/old.json"))) as! [String: Any]
        json["sha256"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/old.json"))
        XCTAssertNil(try Checkpoint.info(path).sha256)
        XCTAssertNoThrow(try Checkpoint.load(path))
    }

    func testWritersLeaveNoTemporaryFiles() throws {
        let dir = try tempDir()
        var config = UNetConfig()
        config.filters = [4, 8]
        try Checkpoint.save(UNet3D(config), to: dir + "/m.safetensors")
        try Safetensors.write(["x": Tensor(shape: [2], data: [1, 2])], to: dir + "/t.safetensors")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["m.json", "m.safetensors", "t.safetensors"])
        XCTAssertThrowsError(try Safetensors.write(["x": Tensor(shape: [2], data: [1, 2])], to: dir + "/missing/t.safetensors")) { error in
            XCTAssertTrue(error is CheckpointError, "\(type(of: error))")
        }
    }
}
